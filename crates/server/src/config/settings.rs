//! The layered, validated property values: defaults, then the `.env` file, then
//! environment variables with the same names.
//!
//! Values are stored by catalog position and read through typed keys
//! ([`super::keys`]); names are looked up only for the file's keys, which come
//! from the operator and may be unknown.

use super::catalog::{PROPERTIES, PropertySpec, is_deployment_only_key};
use super::dotenv::Document;
use super::key::{Key, Property, PropertyType};
use super::property_value::Value;

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
        Settings::load_with(file, &|property| env(property.name()))
    }

    /// [`Settings::load`] with the overriding values asked for by property,
    /// which lets a restart give back the running values without naming them.
    pub(super) fn load_with(
        file: Option<&Document>,
        overrides: &dyn Fn(Property) -> Option<String>,
    ) -> Result<(Settings, Vec<String>), Vec<InvalidProperty>> {
        let mut texts: Vec<(String, Source)> =
            PROPERTIES.iter().map(|p| (p.default.to_string(), Source::Default)).collect();
        let mut unknown = Vec::new();
        if let Some(doc) = file {
            for (key, value) in doc.entries() {
                match Property::named(key) {
                    Some(property) => texts[property.index()] = (value.to_string(), Source::File),
                    None if is_deployment_only_key(key) => {}
                    None => unknown.push(key.to_string()),
                }
            }
        }
        for property in Property::all() {
            if let Some(value) = overrides(property) {
                texts[property.index()] = (value, Source::Environment);
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

    /// The value of a property, as the type of its key: `settings.get(keys::OPENVIDU_CDR)` is a `bool`.
    pub fn get<T: PropertyType + ?Sized>(&self, key: Key<T>) -> T::Read<'_> {
        T::read(self.value(key))
    }

    /// The value of any property, untyped: for code that walks the catalog.
    pub fn value(&self, property: impl Into<Property>) -> &Value {
        &self.values[property.into().index()]
    }

    pub fn source(&self, property: impl Into<Property>) -> Source {
        self.sources[property.into().index()]
    }

    /// Returns a copy with `property` set from `text`, checked against its kind.
    pub fn with(&self, property: impl Into<Property>, text: &str, source: Source) -> Result<Settings, InvalidProperty> {
        let property = property.into();
        let spec = property.spec();
        let value = spec.kind.parse(text).map_err(|problem| invalid(spec, source, problem))?;
        let mut next = self.clone();
        next.values[property.index()] = value;
        next.sources[property.index()] = source;
        Ok(next)
    }

    /// Returns `self` with the value and source of `property` taken from `other`,
    /// which holds it validated already.
    pub(super) fn keeping(mut self, property: Property, other: &Settings) -> Settings {
        self.values[property.index()] = other.value(property).clone();
        self.sources[property.index()] = other.source(property);
        self
    }
}

fn invalid(property: &PropertySpec, source: Source, problem: String) -> InvalidProperty {
    InvalidProperty { key: property.name.to_string(), source: source.label(), problem }
}

#[cfg(test)]
mod tests {
    use super::super::keys;
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let doc = Document::parse("OPENVIDU_SECRET=from_file\nOPENVIDU_CDR=true\n").unwrap();
        let env = |k: &str| (k == "OPENVIDU_SECRET").then(|| "from_env".to_string());
        let (settings, unknown) = Settings::load(Some(&doc), &env).unwrap();
        assert_eq!(settings.get(keys::OPENVIDU_SECRET), "from_env");
        assert_eq!(settings.source(keys::OPENVIDU_SECRET), Source::Environment);
        assert!(settings.get(keys::OPENVIDU_CDR));
        assert_eq!(settings.source(keys::OPENVIDU_CDR), Source::File);
        assert_eq!(settings.get(keys::OPENVIDU_SESSIONS_GARBAGE_INTERVAL), 900);
        assert_eq!(settings.source(keys::OPENVIDU_SESSIONS_GARBAGE_INTERVAL), Source::Default);
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
        let next = settings.with(keys::OPENVIDU_CDR, "true", Source::Restart).unwrap();
        assert!(next.get(keys::OPENVIDU_CDR));
        assert!(!settings.get(keys::OPENVIDU_CDR));
        assert!(settings.with(keys::OPENVIDU_CDR, "nope", Source::Restart).is_err());
        assert!(Property::named("NOT_A_KEY").is_none(), "only catalog properties can be set");
    }
}
