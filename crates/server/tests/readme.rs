//! The README's configuration table is generated from the property catalog, so
//! it cannot drift. Run with `PLENUM_BLESS=1` to rewrite it after a change.

use plenum::config::PROPERTIES;

const BEGIN: &str = "<!-- config-table:begin -->";
const END: &str = "<!-- config-table:end -->";

fn expected_table() -> String {
    let mut table =
        String::from("| Property | Default | Allowed | Restart can change | Meaning |\n|---|---|---|---|---|\n");
    for p in PROPERTIES {
        let default = if p.default.is_empty() { "(empty)".to_string() } else { format!("`{}`", p.default) };
        let default = if p.name == "OPENVIDU_WEBHOOK_EVENTS" { "all events".to_string() } else { default };
        let restart = if p.restartable { "yes" } else { "no" };
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.name,
            default,
            p.kind.describe().replace('|', "\\|"),
            restart,
            p.doc
        ));
    }
    table
}

#[test]
fn readme_configuration_table_matches_the_catalog() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md at the repository root");
    let start = readme.find(BEGIN).expect("README has the config-table begin marker") + BEGIN.len();
    let end = readme.find(END).expect("README has the config-table end marker");
    let current = readme[start..end].trim();
    let expected = expected_table();
    if current != expected.trim() {
        if std::env::var_os("PLENUM_BLESS").is_some() {
            let updated = format!("{}\n{}{}", &readme[..start], expected, &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        panic!("README configuration table is stale; rerun with PLENUM_BLESS=1. Expected:\n{expected}");
    }
}
