//! On-premises autodiscovery: the operator's `<OPENVIDU_PRO_CLUSTER_PATH>/autodiscover`
//! executable prints a JSON array of `{"uri": …, "environmentId": …}`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// How long the script may run.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub uri: String,
    pub environment_id: Option<String>,
}

/// Parses the script's output; entries without a string `uri` are skipped with their index named.
pub fn parse(output: &str) -> Result<(Vec<Found>, Vec<String>), String> {
    let value: Value = serde_json::from_str(output.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let entries = value.as_array().ok_or("not a JSON array")?;
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match entry.get("uri").and_then(Value::as_str) {
            Some(uri) => found.push(Found {
                uri: uri.to_string(),
                environment_id: entry.get("environmentId").and_then(Value::as_str).map(str::to_string),
            }),
            None => skipped.push(format!("entry {index} has no string 'uri'")),
        }
    }
    Ok((found, skipped))
}

/// Runs the script; `Ok(None)` when there is none (discovery is not possible).
pub async fn run_script(cluster_path: &Path) -> Result<Option<Vec<Found>>, String> {
    let script = cluster_path.join("autodiscover");
    if !script.is_file() {
        return Ok(None);
    }
    let run = tokio::process::Command::new(&script).kill_on_drop(true).output();
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, run)
        .await
        .map_err(|_| format!("{} ran for more than {} s", script.display(), SCRIPT_TIMEOUT.as_secs()))?
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", script.display(), output.status));
    }
    let (found, skipped) = parse(&String::from_utf8_lossy(&output.stdout))
        .map_err(|e| format!("{} printed something that is {e}", script.display()))?;
    for problem in skipped {
        tracing::warn!(script = %script.display(), %problem, "autodiscovery entry skipped");
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uris_and_optional_environment_ids() {
        let (found, skipped) =
            parse(r#"[{"uri":"ws://10.0.0.2:8888/kurento","environmentId":"n2"},{"uri":"ws://10.0.0.3:8888/kurento"},{"x":1}]"#)
                .unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].environment_id.as_deref(), Some("n2"));
        assert_eq!(found[1].environment_id, None);
        assert_eq!(skipped, vec!["entry 2 has no string 'uri'"]);
    }

    #[test]
    fn refuses_what_is_not_an_array() {
        assert!(parse("{}").is_err());
        assert!(parse("nope").is_err());
    }
}
