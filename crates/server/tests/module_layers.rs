//! The master's modules form layers (docs/architecture.md): no import cycle
//! between top-level modules, and the adapters `api`, `signaling` and `inspector` never
//! import each other. Read from the source text, so a cycle that comes back
//! fails this test before it can grow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules its code (not its comments) names
/// with `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect_rs(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(src, f)).collect();
    for file in &files {
        let Some(module) = top_module(src, file) else { continue };
        let source = std::fs::read_to_string(file).expect("readable source");
        // Doc links name modules without importing them.
        let code: String =
            source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let uses = graph.entry(module.clone()).or_default();
        for (index, _) in code.match_indices("crate::") {
            let rest = &code[index + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name != module && modules.contains(&name) {
                uses.insert(name);
            }
        }
    }
    graph
}

/// `src/foo.rs` and `src/foo/...` belong to module `foo`; `lib.rs`, `main.rs` and `bin/` to none.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_string())
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A cycle through `start`, as the list of modules on it, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(graph, start, start, &mut path, &mut seen).then_some(path)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_import_cycle_between_the_masters_modules() {
    let graph = graph();
    assert!(graph.len() > 5, "the source tree was not found: {graph:?}");
    let cycles: Vec<String> =
        graph.keys().filter_map(|module| cycle_from(&graph, module)).map(|cycle| cycle.join(" -> ")).collect();
    assert!(cycles.is_empty(), "import cycles between modules:\n  {}", cycles.join("\n  "));
}

#[test]
fn the_rest_api_and_the_signaling_websocket_do_not_import_each_other() {
    let graph = graph();
    for (from, to) in [("api", "signaling"), ("signaling", "api")] {
        let uses = graph.get(from).cloned().unwrap_or_default();
        assert!(!uses.contains(to), "{from} imports {to}; both must go through the conference core");
    }
}

#[test]
fn the_inspector_and_the_other_adapters_do_not_import_each_other() {
    let graph = graph();
    for other in ["api", "signaling"] {
        for (from, to) in [("inspector", other), (other, "inspector")] {
            let uses = graph.get(from).cloned().unwrap_or_default();
            assert!(!uses.contains(to), "{from} imports {to}; the server mounts the Inspector's routes instead");
        }
    }
    assert!(graph.contains_key("inspector"), "the inspector module is read");
}

#[test]
fn the_checker_finds_a_cycle_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    graph.entry("d".into()).or_default().insert("a".into());
    assert_eq!(cycle_from(&graph, "a"), Some(vec!["a".to_string(), "b".to_string(), "c".to_string()]));
    assert_eq!(cycle_from(&graph, "d"), None);
}
