//! The `manager_ServerManager` singleton: server information and load figures.
//!
//! The master reads `getInfo` when it registers a node (version, modules,
//! capabilities) and the load figures for placement. The node says it is a
//! Kurento 7 server (so OpenVidu masters use their Kurento mode: WEBM
//! recordings, VP8 by default) and adds a `plenum` module so a Plenum master
//! can tell it apart. The JS client refuses servers whose modules lack
//! `core`, `elements` or `filters`, so all three are listed.

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::event::complex;
use serde_json::{Map, Value, json};

use super::classes::{Module, factories};
use super::registry::Registry;

/// The Kurento version the node reports.
pub const KURENTO_VERSION: &str = "7.3.0";

/// Load figures read from the operating system by the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SystemSnapshot {
    /// CPU use of the machine over the last interval, percent (0-100).
    pub used_cpu_percent: f64,
    /// Memory used by the node process, KiB.
    pub used_memory_kib: i64,
    pub cpu_count: i64,
}

/// `getInfo`: a `ServerInfo` complex value.
pub fn server_info(build_time: &str) -> Value {
    let module = |name: &str, version: &str, classes: Vec<&str>| {
        complex(
            "ModuleInfo",
            json!({"name": name, "version": version, "generationTime": build_time, "factories": classes}),
        )
    };
    complex(
        "ServerInfo",
        json!({
            "version": KURENTO_VERSION,
            "type": "KMS",
            "capabilities": ["transactions"],
            "modules": [
                module("core", KURENTO_VERSION, factories(Module::Core)),
                module("elements", KURENTO_VERSION, factories(Module::Elements)),
                module("filters", KURENTO_VERSION, factories(Module::Filters)),
                module("plenum", env!("CARGO_PKG_VERSION"), Vec::new()),
            ],
        }),
    )
}

/// Answers a ServerManager operation, or `None` if `operation` is not one.
pub fn invoke(
    registry: &Registry,
    operation: &str,
    params: &Map<String, Value>,
    system: &SystemSnapshot,
    build_time: &str,
    metadata: &str,
) -> Option<Result<Value, RpcError>> {
    Some(Ok(match operation {
        "getInfo" => server_info(build_time),
        "getPipelines" => json!(registry.pipelines()),
        "getSessions" => json!(registry.session_ids()),
        "getUsedCpu" => json!((system.used_cpu_percent * 100.0).round() / 100.0),
        "getUsedMemory" => json!(system.used_memory_kib),
        "getCpuCount" => json!(system.cpu_count),
        "getMetadata" => json!(metadata),
        // Inherited MediaObject getters of the singleton.
        "getId" | "getName" => json!(kurento_protocol::object_id::SERVER_MANAGER_ID),
        "getKmd" => {
            let module = params.get("moduleName").and_then(Value::as_str).unwrap_or("");
            return Some(Err(RpcError::new(
                ErrorCode::ServerManagerErrorKmdNotFound,
                format!("Module '{module}' has no kmd description on this node"),
            )));
        }
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: SystemSnapshot = SystemSnapshot { used_cpu_percent: 12.345, used_memory_kib: 20480, cpu_count: 2 };

    #[test]
    fn info_lists_the_three_kurento_modules_and_transactions() {
        let info = server_info("Nov 26 2026 12:00:00");
        assert_eq!(info["__type__"], "ServerInfo");
        assert_eq!(info["version"], KURENTO_VERSION);
        assert_eq!(info["capabilities"], json!(["transactions"]));
        let names: Vec<&str> =
            info["modules"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        for required in ["core", "elements", "filters"] {
            assert!(names.contains(&required), "{required}");
        }
        assert!(info["modules"][1]["factories"].as_array().unwrap().contains(&json!("WebRtcEndpoint")));
        assert_eq!(info["modules"][0]["__type__"], "ModuleInfo");
    }

    #[test]
    fn load_figures_and_lists() {
        let mut registry = Registry::default();
        registry.session_connected("S", 0);
        let pipeline = registry.create("S", "MediaPipeline", &Map::new(), 0).unwrap();
        let call = |op: &str| invoke(&registry, op, &Map::new(), &SYSTEM, "t", "").unwrap().unwrap();
        assert_eq!(call("getUsedCpu"), json!(12.35));
        assert_eq!(call("getUsedMemory"), json!(20480));
        assert_eq!(call("getCpuCount"), json!(2));
        assert_eq!(call("getPipelines"), json!([pipeline]));
        assert_eq!(call("getSessions"), json!(["S"]));
        assert_eq!(invoke(&registry, "getKmd", &Map::new(), &SYSTEM, "t", "").unwrap().unwrap_err().code, 40500);
        assert!(invoke(&registry, "processOffer", &Map::new(), &SYSTEM, "t", "").is_none());
    }
}
