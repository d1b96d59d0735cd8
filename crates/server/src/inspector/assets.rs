//! The Inspector's pages, scripts, styles and vendored libraries, embedded in
//! the binary at compile time (`crates/server/inspector/`), so a fresh install
//! serves the dashboard with no build step and no npm.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::guard::refuse;

/// `(name under /inspector/assets/, content type, bytes)`.
const FILES: &[(&str, &str, &[u8])] = &[
    ("style.css", CSS, include_bytes!("../../inspector/style.css")),
    ("sign-in.js", JS, include_bytes!("../../inspector/sign-in.js")),
    ("app.js", JS, include_bytes!("../../inspector/app.js")),
    ("rest.js", JS, include_bytes!("../../inspector/rest.js")),
    ("dom.js", JS, include_bytes!("../../inspector/dom.js")),
    ("live.js", JS, include_bytes!("../../inspector/live.js")),
    ("charts.js", JS, include_bytes!("../../inspector/charts.js")),
    ("sessions.js", JS, include_bytes!("../../inspector/sessions.js")),
    ("cluster.js", JS, include_bytes!("../../inspector/cluster.js")),
    ("recordings.js", JS, include_bytes!("../../inspector/recordings.js")),
    ("history.js", JS, include_bytes!("../../inspector/history.js")),
    ("config.js", JS, include_bytes!("../../inspector/config.js")),
    ("test.js", JS, include_bytes!("../../inspector/test.js")),
    ("vendor/uPlot.esm.js", JS, include_bytes!("../../inspector/vendor/uPlot.esm.js")),
    ("vendor/uPlot.min.css", CSS, include_bytes!("../../inspector/vendor/uPlot.min.css")),
    (
        "vendor/openvidu-browser-2.32.2.min.js",
        JS,
        include_bytes!("../../inspector/vendor/openvidu-browser-2.32.2.min.js"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

const INDEX: &[u8] = include_bytes!("../../inspector/index.html");
const SIGN_IN: &[u8] = include_bytes!("../../inspector/sign-in.html");

pub(super) async fn index() -> Response {
    serve(HTML, INDEX)
}

pub(super) async fn sign_in_page() -> Response {
    serve(HTML, SIGN_IN)
}

pub(super) async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, bytes)) => serve(content_type, bytes),
        None => refuse(StatusCode::NOT_FOUND, &format!("The Inspector has no asset '{}'", name.escape_debug())),
    }
}

/// Revalidated on every load (`no-cache`), so a new binary's pages are never mixed with an old one's;
/// never framed by another page.
fn serve(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_of_the_menu_has_its_module() {
        let index = String::from_utf8_lossy(INDEX);
        for (at, _) in index.match_indices("data-page=\"") {
            let page: String = index[at + 11..].chars().take_while(|c| *c != '"').collect();
            let module = format!("{page}.js");
            assert!(FILES.iter().any(|(file, _, _)| *file == module), "the menu's {page} has no {module}");
        }
    }

    #[test]
    fn every_module_the_pages_import_is_embedded() {
        let sources = FILES.iter().chain([("index.html", HTML, INDEX)].iter());
        for (name, _, bytes) in sources {
            let text = String::from_utf8_lossy(bytes);
            for (at, _) in text.match_indices("/inspector/assets/") {
                let rest = &text[at + "/inspector/assets/".len()..];
                let asset: String = rest.chars().take_while(|c| !matches!(c, '\'' | '"' | '`' | ')' | '?')).collect();
                if asset.starts_with("${") {
                    continue; // the shell's page modules, checked by name below
                }
                assert!(FILES.iter().any(|(file, _, _)| *file == asset), "{name} loads {asset}, which is not embedded");
            }
        }
    }
}
