//! The body of `POST /openvidu/api/restart`, checked and turned into the next
//! configuration and the next config file text. No I/O happens here: the
//! handler reads the file, calls [`parse_body`] and [`plan`], writes the file
//! and swaps the services.
//!
//! Rules, all-or-nothing:
//! - the body is a JSON object of property names; each must be in the catalog
//!   and marked restartable;
//! - a value may be a JSON string, number, boolean, or (for list properties) an
//!   array of strings; it is turned into its `.env` text and checked by the
//!   property's [`Kind`](super::Kind), exactly as a value read from the file;
//! - the whole result must pass the cross-property rules of [`Config`].
//!
//! Where the running values come from matters:
//! - a value that came from an environment variable, or from an earlier
//!   restart, is kept across the restart (the process environment does not
//!   change). A body value for such a property replaces it now (source
//!   [`Source::Restart`]), is written to the file too, and a warning says that
//!   the environment will win again when the process is started anew;
//! - every other restartable value is read again from the file, so edits made
//!   to the file since startup take effect;
//! - properties a restart may not change keep their running value, whatever the
//!   file says now (a warning names any that differ).

use std::path::Path;

use serde_json::{Map, Value as Json};

use super::catalog::{PropertySpec, keys};
use super::dotenv::{Document, Line};
use super::key::Property;
use super::property_value::Value;
use super::resolved::Config;
use super::settings::{Settings, Source};
use super::value_kind::Kind;
use crate::json_fields::describe;

/// One accepted property of the body, with its value as `.env` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub property: Property,
    pub text: String,
}

impl Change {
    pub fn name(&self) -> &'static str {
        self.property.name()
    }
}

/// The result of applying a restart body to the running configuration.
#[derive(Debug)]
pub struct Plan {
    /// The configuration of the restarted services, validated.
    pub config: Config,
    /// The new content of the config file, or `None` when there is no file.
    pub file_text: Option<String>,
    /// Things the caller should be told (environment overrides, ignored file edits).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The body, combined with the rest of the configuration, breaks a rule: a 400.
    Request(Vec<String>),
    /// The config file on disk cannot be used (bad syntax or values): not the caller's fault.
    File(String),
}

/// Checks every property of the body: name, restartability, JSON type, kind and range.
/// Returns every problem at once, each message naming its property.
pub fn parse_body(body: &Map<String, Json>) -> Result<Vec<Change>, Vec<String>> {
    let mut changes = Vec::with_capacity(body.len());
    let mut errors = Vec::new();
    for (name, value) in body {
        match check_property(name, value) {
            Ok(change) => changes.push(change),
            Err(problem) => errors.push(problem),
        }
    }
    if errors.is_empty() { Ok(changes) } else { Err(errors) }
}

fn check_property(name: &str, value: &Json) -> Result<Change, String> {
    // Found by name, like the config file's keys: the name is the caller's and may be wrong.
    let Some(property) = Property::named(name) else {
        return Err(format!("Unknown property '{name}': it is not a configuration property of OpenVidu or Plenum"));
    };
    let spec = property.spec();
    if !spec.restartable {
        return Err(format!(
            "Property {name} cannot be modified by a restart; set it in the config file or the environment and start the process again"
        ));
    }
    let text = json_to_text(spec, value)?;
    if text.contains(['\n', '\r', '\0']) {
        return Err(format!("Property {name} cannot contain a line break or a NUL character"));
    }
    spec.kind.parse(&text).map_err(|problem| format!("Property {name}: {problem}"))?;
    Ok(Change { property, text })
}

/// The `.env` text of a JSON value: what an operator would write in the file.
fn json_to_text(property: &PropertySpec, value: &Json) -> Result<String, String> {
    let name = property.name;
    let expects = || format!("Property {name} expects {}, got {}", property.kind.describe(), describe(value));
    match value {
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        Json::String(s) => Ok(s.clone()),
        Json::Array(items) if matches!(property.kind, Kind::List(_)) => {
            let mut strings = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match item {
                    Json::String(s) => strings.push(s.as_str()),
                    other => {
                        return Err(format!("Property {name}: item {index} must be a string, got {}", describe(other)));
                    }
                }
            }
            Ok(serde_json::to_string(&strings).expect("strings serialize"))
        }
        Json::Null => Err(format!("Property {name} cannot be null; give a value ({})", property.kind.describe())),
        Json::Array(_) | Json::Object(_) => Err(expects()),
    }
}

/// Applies `changes` to the running configuration.
///
/// `file` is the config file's path and current text (`""` when it does not
/// exist yet), or `None` when the master has no config file: then the accepted
/// values live in memory only, until the process stops.
pub fn plan(current: &Config, file: Option<(&Path, &str)>, changes: &[Change]) -> Result<Plan, PlanError> {
    let running = &current.settings;
    let mut warnings = Vec::new();
    let file_text = match file {
        Some((path, text)) => {
            let document = Document::parse(text)
                .map_err(|error| PlanError::File(format!("config file {}, {error}", path.display())))?;
            Some(update_file_text(text, &document, changes))
        }
        None => None,
    };
    let updated = file_text.as_deref().map(|text| Document::parse(text).expect("an update of a valid file is valid"));

    // Values that came from the environment or an earlier restart stay, as the environment would give them again.
    let pinned = |property: Property| match running.source(property) {
        Source::Environment | Source::Restart => Some(value_text(running.value(property))),
        Source::Default | Source::File => None,
    };
    let (mut settings, _unknown) = Settings::load_with(updated.as_ref(), &pinned).map_err(|errors| {
        let path = file.map(|(path, _)| path.display().to_string()).unwrap_or_default();
        PlanError::File(format!(
            "config file {path} has invalid values: {}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ))
    })?;

    for change in changes {
        let kept_in_memory =
            file.is_none() || matches!(running.source(change.property), Source::Environment | Source::Restart);
        if !kept_in_memory {
            continue;
        }
        settings = settings
            .with(change.property, &change.text, Source::Restart)
            .map_err(|invalid| PlanError::Request(vec![format!("Property {}: {}", invalid.key, invalid.problem)]))?;
        if file.is_some() {
            warnings.push(format!(
                "{} is also set in the environment, which overrides the config file when the process starts: the new value is active now and saved in the config file, but the next start of the process will use the environment's value",
                change.name()
            ));
        }
    }

    for property in Property::all().filter(|p| !p.spec().restartable) {
        if settings.value(property) != running.value(property) {
            warnings.push(format!(
                "{} differs in the config file from the running value; a restart cannot change it, so it takes effect at the next start of the process",
                property.name()
            ));
            settings = settings.keeping(property, running);
        }
    }

    let config_file = file.map(|(path, _)| path.to_path_buf());
    let mut config = Config::from_settings(settings, config_file).map_err(|errors| {
        PlanError::Request(errors.iter().map(|e| format!("Property {}: {}", e.key, e.problem)).collect())
    })?;
    if config.settings.get(keys::OPENVIDU_PRO_CLUSTER_ID).is_empty() {
        // A random cluster id is chosen once per process, not once per restart.
        config.cluster_id = current.cluster_id.clone();
    }
    Ok(Plan { config, file_text, warnings })
}

/// The file text with each change written on the line of its key's last (effective)
/// occurrence, or appended. Every other line stays byte for byte as it was.
pub fn update_file_text(original: &str, document: &Document, changes: &[Change]) -> String {
    let mut lines: Vec<String> = original.split_inclusive('\n').map(str::to_string).collect();
    debug_assert_eq!(lines.len(), document.lines.len());
    let mut appended = Vec::new();
    for change in changes {
        let entry = format!("{}={}", change.name(), env_value(&change.text));
        let position =
            document.lines.iter().rposition(|line| matches!(line, Line::Entry { key, .. } if key == change.name()));
        match position {
            Some(index) => {
                let raw = &lines[index];
                let ending = if raw.ends_with("\r\n") {
                    "\r\n"
                } else if raw.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                let indent = raw.len() - raw.trim_start().len();
                let export = if raw[indent..].starts_with("export ") { "export ".len() } else { 0 };
                lines[index] = format!("{}{entry}{ending}", &raw[..indent + export]);
            }
            None => appended.push(entry),
        }
    }
    let mut text = lines.concat();
    if !appended.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for entry in appended {
            text.push_str(&entry);
            text.push('\n');
        }
    }
    text
}

/// `text` as a `.env` value that reads back as exactly `text`: the reader trims
/// values and unwraps one pair of matching quotes, so such values are quoted.
fn env_value(text: &str) -> String {
    let wrapped = text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"')) || (text.starts_with('\'') && text.ends_with('\'')));
    if text != text.trim() || wrapped { format!("'{text}'") } else { text.to_string() }
}

/// The `.env` text of a validated value; parsing it gives the value back.
fn value_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => s.clone(),
        Value::List(items) => serde_json::to_string(items).expect("strings serialize"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn body(value: Json) -> Map<String, Json> {
        value.as_object().unwrap().clone()
    }

    fn config(file: Option<&str>, env: &[(&str, &str)]) -> Config {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let document = file.map(|text| Document::parse(text).unwrap());
        let (settings, _) = Settings::load(document.as_ref(), &|key| env.get(key).cloned()).unwrap();
        Config::from_settings(settings, file.map(|_| "/etc/plenum.env".into())).unwrap()
    }

    fn errors(value: Json) -> Vec<String> {
        parse_body(&body(value)).unwrap_err()
    }

    #[test]
    fn accepts_strings_numbers_booleans_and_arrays() {
        let changes = parse_body(&body(json!({
            "OPENVIDU_CDR": true,
            "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH": 500,
            "OPENVIDU_WEBHOOK_EVENTS": ["sessionCreated", "nodeCrashed"],
            "OPENVIDU_RECORDING_NOTIFICATION": "moderator",
            "OPENVIDU_SESSIONS_GARBAGE_INTERVAL": "60",
            "KMS_URIS": "[\"ws://10.0.0.1:8888/kurento\"]",
        })))
        .unwrap();
        let texts: Vec<(&str, &str)> = changes.iter().map(|c| (c.name(), c.text.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                ("OPENVIDU_CDR", "true"),
                ("OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH", "500"),
                ("OPENVIDU_WEBHOOK_EVENTS", "[\"sessionCreated\",\"nodeCrashed\"]"),
                ("OPENVIDU_RECORDING_NOTIFICATION", "moderator"),
                ("OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "60"),
                ("KMS_URIS", "[\"ws://10.0.0.1:8888/kurento\"]"),
            ]
        );
        assert_eq!(parse_body(&Map::new()).unwrap(), vec![]);
    }

    #[test]
    fn unknown_and_non_restartable_properties_are_named() {
        assert_eq!(
            errors(json!({"OPENVIDU_SECRETT": "x"})),
            vec!["Unknown property 'OPENVIDU_SECRETT': it is not a configuration property of OpenVidu or Plenum"]
        );
        for fixed in ["OPENVIDU_SECRET", "DOMAIN_OR_PUBLIC_IP", "SERVER_PORT", "OPENVIDU_PRO_STATS_MONITORING_INTERVAL"]
        {
            let message = &errors(json!({ fixed: "1" }))[0];
            assert!(message.starts_with(&format!("Property {fixed} cannot be modified by a restart")), "{message}");
        }
        assert!(errors(json!({"JAVA_OPTIONS": "-Xmx1g"}))[0].contains("'JAVA_OPTIONS'"));
    }

    #[test]
    fn wrong_types_and_out_of_range_values_are_named() {
        let message = &errors(json!({"OPENVIDU_CDR": "maybe"}))[0];
        assert_eq!(message, "Property OPENVIDU_CDR: 'maybe' is not a boolean; allowed: true or false");
        let message = &errors(json!({"OPENVIDU_CDR": 1}))[0];
        assert!(message.starts_with("Property OPENVIDU_CDR: '1' is not a boolean"), "{message}");
        let message = &errors(json!({"OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH": -5}))[0];
        assert_eq!(
            message,
            "Property OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH: '-5' is not allowed; allowed: an integer >= 0"
        );
        let message = &errors(json!({"OPENVIDU_SESSIONS_GARBAGE_INTERVAL": 1.5}))[0];
        assert!(message.contains("OPENVIDU_SESSIONS_GARBAGE_INTERVAL: '1.5' is not allowed"), "{message}");
        let message = &errors(json!({"OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD": 101}))[0];
        assert!(message.contains("an integer from 0 to 100"), "{message}");
        let message = &errors(json!({"OPENVIDU_CDR": [true]}))[0];
        assert_eq!(message, "Property OPENVIDU_CDR expects true / false, got an array");
        let message = &errors(json!({"OPENVIDU_CDR": {"a": 1}}))[0];
        assert_eq!(message, "Property OPENVIDU_CDR expects true / false, got an object");
        let message = &errors(json!({"OPENVIDU_CDR": null}))[0];
        assert!(message.starts_with("Property OPENVIDU_CDR cannot be null"), "{message}");
        let message = &errors(json!({"OPENVIDU_WEBHOOK_EVENTS": ["sessionCreated", 3]}))[0];
        assert_eq!(message, "Property OPENVIDU_WEBHOOK_EVENTS: item 1 must be a string, got a number (3)");
        let message = &errors(json!({"OPENVIDU_WEBHOOK_EVENTS": ["bogus"]}))[0];
        assert!(message.starts_with("Property OPENVIDU_WEBHOOK_EVENTS: item 0 ('bogus') is not an event"), "{message}");
        let message = &errors(json!({"OPENVIDU_PRO_CLUSTER_ID": "a\nOPENVIDU_SECRET=x"}))[0];
        assert_eq!(message, "Property OPENVIDU_PRO_CLUSTER_ID cannot contain a line break or a NUL character");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let all = errors(json!({"A_B": 1, "OPENVIDU_CDR": "x", "OPENVIDU_RECORDING": true}));
        assert_eq!(all.len(), 2, "{all:?}");
    }

    #[test]
    fn the_file_keeps_comments_order_and_untouched_lines() {
        let original = "# Plenum\n\n# CDR on or off\nexport OPENVIDU_CDR=false\r\nOPENVIDU_SECRET='s3cr3t'\nOPENVIDU_CDR=false # dup\nKMS_URIS=[]";
        let document = Document::parse(original).unwrap();
        let changes = vec![
            Change { property: keys::OPENVIDU_CDR.into(), text: "true".into() },
            Change { property: keys::OPENVIDU_WEBHOOK.into(), text: "false".into() },
        ];
        assert_eq!(
            update_file_text(original, &document, &changes),
            "# Plenum\n\n# CDR on or off\nexport OPENVIDU_CDR=false\r\nOPENVIDU_SECRET='s3cr3t'\nOPENVIDU_CDR=true\nKMS_URIS=[]\nOPENVIDU_WEBHOOK=false\n"
        );
        let document = Document::parse("  export OPENVIDU_CDR=false\r\n").unwrap();
        let changes = vec![Change { property: keys::OPENVIDU_CDR.into(), text: "true".into() }];
        assert_eq!(
            update_file_text("  export OPENVIDU_CDR=false\r\n", &document, &changes),
            "  export OPENVIDU_CDR=true\r\n"
        );
    }

    #[test]
    fn values_that_the_reader_would_change_are_quoted() {
        for text in [" padded ", "\"quoted\"", "'single'", "a#b", "", "x'"] {
            let change = Change { property: keys::OPENVIDU_PRO_CLUSTER_ID.into(), text: text.into() };
            let written = update_file_text("", &Document::default(), &[change]);
            let read = Document::parse(&written).unwrap();
            assert_eq!(read.entries().next().unwrap().1, text, "{written}");
        }
    }

    #[test]
    fn a_plan_applies_the_body_and_keeps_the_rest_of_the_file() {
        let file = "# comment\nOPENVIDU_SECRET=s3cr3t\nOPENVIDU_CDR=false\n";
        let current = config(Some(file), &[]);
        let changes =
            parse_body(&body(json!({"OPENVIDU_CDR": true, "OPENVIDU_SESSIONS_GARBAGE_INTERVAL": 60}))).unwrap();
        let plan = plan(&current, Some((Path::new("/etc/plenum.env"), file)), &changes).unwrap();
        assert_eq!(
            plan.file_text.as_deref(),
            Some("# comment\nOPENVIDU_SECRET=s3cr3t\nOPENVIDU_CDR=true\nOPENVIDU_SESSIONS_GARBAGE_INTERVAL=60\n")
        );
        assert!(plan.config.settings.get(keys::OPENVIDU_CDR));
        assert_eq!(plan.config.settings.source(keys::OPENVIDU_CDR), Source::File);
        assert_eq!(plan.config.garbage_interval.as_secs(), 60);
        assert_eq!(plan.config.secret, "s3cr3t");
        assert_eq!(plan.config.cluster_id, current.cluster_id, "a random cluster id survives restarts");
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn cross_property_rules_hold_for_the_combined_result() {
        let current = config(Some(""), &[]);
        let changes = parse_body(&body(json!({"OPENVIDU_WEBHOOK": true}))).unwrap();
        let error = plan(&current, Some((Path::new("/etc/plenum.env"), "")), &changes).unwrap_err();
        assert_eq!(
            error,
            PlanError::Request(vec![
                "Property OPENVIDU_WEBHOOK_ENDPOINT: cannot be empty when OPENVIDU_WEBHOOK=true".into()
            ])
        );
        let changes = parse_body(&body(
            json!({"OPENVIDU_WEBHOOK": true, "OPENVIDU_WEBHOOK_ENDPOINT": "http://127.0.0.1:7777/webhook"}),
        ))
        .unwrap();
        assert!(plan(&current, Some((Path::new("/etc/plenum.env"), "")), &changes).is_ok());
    }

    #[test]
    fn environment_values_stay_and_a_body_value_for_them_wins_with_a_warning() {
        let env = [("OPENVIDU_SECRET", "fromenv"), ("OPENVIDU_CDR", "false"), ("SERVER_PORT", "0")];
        let current = config(Some(""), &env);
        let changes = parse_body(&body(json!({"OPENVIDU_CDR": true}))).unwrap();
        let plan = plan(&current, Some((Path::new("/etc/plenum.env"), "")), &changes).unwrap();
        assert_eq!(plan.config.secret, "fromenv");
        assert_eq!(plan.config.listen.port(), 0);
        assert!(plan.config.settings.get(keys::OPENVIDU_CDR));
        assert_eq!(plan.config.settings.source(keys::OPENVIDU_CDR), Source::Restart);
        assert_eq!(plan.file_text.as_deref(), Some("OPENVIDU_CDR=true\n"));
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].starts_with("OPENVIDU_CDR is also set in the environment"), "{:?}", plan.warnings);

        // A later restart keeps the value the first one set, though the environment says otherwise.
        let again =
            super::plan(&plan.config, Some((Path::new("/etc/plenum.env"), "OPENVIDU_CDR=true\n")), &[]).unwrap();
        assert!(again.config.settings.get(keys::OPENVIDU_CDR));
    }

    #[test]
    fn file_edits_of_restartable_values_apply_and_of_fixed_values_wait_for_the_next_start() {
        let current = config(Some("OPENVIDU_SECRET=old\nOPENVIDU_CDR=false\n"), &[]);
        let edited = "OPENVIDU_SECRET=new\nOPENVIDU_CDR=true\n";
        let plan = plan(&current, Some((Path::new("/etc/plenum.env"), edited)), &[]).unwrap();
        assert!(plan.config.settings.get(keys::OPENVIDU_CDR));
        assert_eq!(plan.config.secret, "old");
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].starts_with("OPENVIDU_SECRET differs in the config file"), "{:?}", plan.warnings);
    }

    #[test]
    fn a_broken_file_is_not_the_callers_fault() {
        let current = config(Some(""), &[]);
        let error = plan(&current, Some((Path::new("/etc/plenum.env"), "not a line\n")), &[]).unwrap_err();
        assert!(matches!(&error, PlanError::File(m) if m.contains("line 1")), "{error:?}");
        let error = plan(&current, Some((Path::new("/etc/plenum.env"), "OPENVIDU_CDR=maybe\n")), &[]).unwrap_err();
        assert!(matches!(&error, PlanError::File(m) if m.contains("OPENVIDU_CDR (from config file)")), "{error:?}");
    }

    #[test]
    fn without_a_file_values_are_kept_in_memory_across_restarts() {
        let current = config(None, &[]);
        let changes = parse_body(&body(json!({"OPENVIDU_CDR": true}))).unwrap();
        let first = plan(&current, None, &changes).unwrap();
        assert_eq!(first.file_text, None);
        assert!(first.config.settings.get(keys::OPENVIDU_CDR));
        let changes = parse_body(&body(json!({"OPENVIDU_RECORDING": true}))).unwrap();
        let second = plan(&first.config, None, &changes).unwrap();
        assert!(second.config.settings.get(keys::OPENVIDU_CDR));
        assert!(second.config.recording);
    }

    #[test]
    fn value_text_round_trips_through_every_kind() {
        let current = config(None, &[("OPENVIDU_WEBHOOK_HEADERS", "[\"A: b\"]"), ("LETSENCRYPT_EMAIL", " x ")]);
        for property in Property::all() {
            let value = current.settings.value(property);
            assert_eq!(&property.spec().kind.parse(&value_text(value)).unwrap(), value, "{}", property.name());
        }
    }
}
