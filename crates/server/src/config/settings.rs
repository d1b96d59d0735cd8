//! The layered, validated property values: defaults, then the `.env` file, then
//! environment variables with the same names.

use super::catalog::{PROPERTIES, PropertySpec, is_deployment_only_key};
use super::dotenv::Document;
use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Environment,
    /// Set through `POST /openvidu/api/restart`.
    Restart,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "config file",
            Source::Environment => "environment",
            Source::Restart => "restart request",
        }
    }
}

/// One validated value per entry of [`PROPERTIES`], in the same order.
#[derive(Debug, Clone)]
pub struct Settings {
    values: Vec<Value>,
    sources: Vec<Source>,
}

/// A property whose value was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidProperty {
    pub key: String,
    pub source: &'static str,
    pub problem: String,
}

impl std::fmt::Display for InvalidProperty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {}): {}", self.key, self.source, self.problem)
    }
}

impl Settings {
    /// Layers the sources and validates every value. Returns every invalid
    /// property at once, and the keys of the file that Plenum does not know.
    pub fn load(
        file: Option<&Document>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Settings, Vec<String>), Vec<InvalidProperty>> {
        let mut texts: Vec<(String, Source)> =
            PROPERTIES.iter().map(|p| (p.default.to_string(), Source::Default)).collect();
        let mut unknown = Vec::new();
        if let Some(doc) = file {
            for (key, value) in doc.entries() {
                match index_of(key) {
                    Some(i) => texts[i] = (value.to_string(), Source::File),
                    None if is_deployment_only_key(key) => {}
                    None => unknown.push(key.to_string()),
                }
            }
        }
        for (i, property) in PROPERTIES.iter().enumerate() {
            if let Some(value) = env(property.name) {
                texts[i] = (value, Source::Environment);
            }
        }
        let mut values = Vec::with_capacity(PROPERTIES.len());
        let mut sources = Vec::with_capacity(PROPERTIES.len());
        let mut errors = Vec::new();
        for (property, (text, source)) in PROPERTIES.iter().zip(texts) {
            match property.kind.parse(&text) {
                Ok(value) => values.push(value),
                Err(problem) => {
                    errors.push(invalid(property, source, problem));
                    values.push(Value::Text(String::new()));
                }
            }
            sources.push(source);
        }
        if errors.is_empty() { Ok((Settings { values, sources }, unknown)) } else { Err(errors) }
    }

    pub fn get(&self, name: &str) -> &Value {
        let index = index_of(name).unwrap_or_else(|| panic!("{name} is not in the property catalog"));
        &self.values[index]
    }

    pub fn source(&self, name: &str) -> Source {
        self.sources[index_of(name).unwrap_or_else(|| panic!("{name} is not in the property catalog"))]
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name).as_bool()
    }

    pub fn int(&self, name: &str) -> i64 {
        self.get(name).as_int()
    }

    pub fn text(&self, name: &str) -> &str {
        self.get(name).as_text()
    }

    pub fn list(&self, name: &str) -> &[String] {
        self.get(name).as_list()
    }

    /// Returns a copy with `name` set from `text`, checked against its kind.
    pub fn with(&self, name: &str, text: &str, source: Source) -> Result<Settings, InvalidProperty> {
        let index = index_of(name).ok_or_else(|| InvalidProperty {
            key: name.to_string(),
            source: source.label(),
            problem: "is not a known property".to_string(),
        })?;
        let property = &PROPERTIES[index];
        let value = property.kind.parse(text).map_err(|problem| invalid(property, source, problem))?;
        let mut next = self.clone();
        next.values[index] = value;
        next.sources[index] = source;
        Ok(next)
    }
}

fn invalid(property: &PropertySpec, source: Source, problem: String) -> InvalidProperty {
    InvalidProperty { key: property.name.to_string(), source: source.label(), problem }
}

fn index_of(name: &str) -> Option<usize> {
    PROPERTIES.iter().position(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let doc = Document::parse("OPENVIDU_SECRET=from_file\nOPENVIDU_CDR=true\n").unwrap();
        let env = |k: &str| (k == "OPENVIDU_SECRET").then(|| "from_env".to_string());
        let (settings, unknown) = Settings::load(Some(&doc), &env).unwrap();
        assert_eq!(settings.text("OPENVIDU_SECRET"), "from_env");
        assert_eq!(settings.source("OPENVIDU_SECRET"), Source::Environment);
        assert!(settings.bool("OPENVIDU_CDR"));
        assert_eq!(settings.source("OPENVIDU_CDR"), Source::File);
        assert_eq!(settings.int("OPENVIDU_SESSIONS_GARBAGE_INTERVAL"), 900);
        assert_eq!(settings.source("OPENVIDU_SESSIONS_GARBAGE_INTERVAL"), Source::Default);
        assert!(unknown.is_empty());
    }

    #[test]
    fn every_invalid_value_is_reported_with_key_and_source() {
        let doc = Document::parse("OPENVIDU_CDR=maybe\nSERVER_PORT=http\n").unwrap();
        let errors = Settings::load(Some(&doc), &no_env).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].key, "SERVER_PORT");
        assert_eq!(
            errors[1].to_string(),
            "OPENVIDU_CDR (from config file): 'maybe' is not a boolean; allowed: true or false"
        );
    }

    #[test]
    fn unknown_file_keys_are_returned_but_deployment_keys_are_not() {
        let doc = Document::parse("OPENVIDU_SECRETT=x\nJAVA_OPTIONS=-Xmx1g\nAWS_IMAGE_ID=ami\n").unwrap();
        let (_, unknown) = Settings::load(Some(&doc), &no_env).unwrap();
        assert_eq!(unknown, vec!["OPENVIDU_SECRETT".to_string()]);
    }

    #[test]
    fn with_validates_the_new_value() {
        let (settings, _) = Settings::load(None, &no_env).unwrap();
        let next = settings.with("OPENVIDU_CDR", "true", Source::Restart).unwrap();
        assert!(next.bool("OPENVIDU_CDR"));
        assert!(!settings.bool("OPENVIDU_CDR"));
        assert!(settings.with("OPENVIDU_CDR", "nope", Source::Restart).is_err());
        assert!(settings.with("NOT_A_KEY", "1", Source::Restart).unwrap_err().problem.contains("not a known"));
    }
}
