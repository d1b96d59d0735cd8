//! The Inspector against a real master on loopback: sign-in and its refusals,
//! the cookie guarding every page, asset and endpoint, cross-site refusal,
//! embedded assets, the live feed delivering a real bus event, the history
//! rebuilt from the CDR and the node load samples.

mod common;

use std::time::{Duration, Instant};

use common::{SECRET, TestServer, start};
use reqwest::StatusCode;
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(15);

async fn send(server: &TestServer, method: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    // Redirects are what is checked, not followed.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.request(method.parse().unwrap(), format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the request reaches the server")
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// Signs in and returns the `Cookie` header value to send.
async fn sign_in(server: &TestServer) -> String {
    let response =
        send(server, "POST", "/inspector/sign-in", &[("authorization", &basic("OPENVIDUAPP", SECRET))]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let set = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/inspector"), "{set}");
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn nothing_but_the_sign_in_page_is_served_without_signing_in() {
    let server = start(&[]).await;
    let page = send(&server, "GET", "/inspector", &[]).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/inspector/sign-in");
    for path in [
        "/inspector/assets/app.js",
        "/inspector/assets/vendor/uPlot.esm.js",
        "/inspector/api/live",
        "/inspector/api/history",
        "/inspector/api/node-load",
        "/inspector/recordings/r/r.mp4",
    ] {
        let response = send(&server, "GET", path, &[]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // Basic credentials are not a sign-in: the Inspector takes only its cookie.
    let basic_only =
        send(&server, "GET", "/inspector/assets/app.js", &[("authorization", &basic("OPENVIDUAPP", SECRET))]).await;
    assert_eq!(basic_only.status(), StatusCode::UNAUTHORIZED);
    for path in ["/inspector/sign-in", "/inspector/assets/sign-in.js", "/inspector/assets/style.css"] {
        assert_eq!(send(&server, "GET", path, &[]).await.status(), StatusCode::OK, "{path}");
    }
    let forged = send(&server, "GET", "/inspector/", &[("cookie", "plenum_inspector=99999999999999.00ff")]).await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_secret_or_user_is_refused_and_sets_no_cookie() {
    let server = start(&[]).await;
    for authorization in [basic("OPENVIDUAPP", "WRONG"), basic("someone", SECRET), "Bearer x".to_string()] {
        let response = send(&server, "POST", "/inspector/sign-in", &[("authorization", &authorization)]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{authorization}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    let none = send(&server, "POST", "/inspector/sign-in", &[]).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_serves_the_embedded_pages_but_never_to_another_site() {
    let server = start(&[]).await;
    let cookie = sign_in(&server).await;
    let index = send(&server, "GET", "/inspector/", &[("cookie", &cookie)]).await;
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(index.text().await.unwrap().contains("/inspector/assets/app.js"));
    for (path, needle) in [
        ("/inspector/assets/app.js", "PAGES"),
        ("/inspector/assets/vendor/uPlot.esm.js", "uPlot"),
        ("/inspector/assets/vendor/openvidu-browser-2.32.2.min.js", "OpenVidu"),
    ] {
        let response = send(&server, "GET", path, &[("cookie", &cookie)]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
        assert!(response.text().await.unwrap().contains(needle), "{path}");
    }
    let missing = send(&server, "GET", "/inspector/assets/nothing.js", &[("cookie", &cookie)]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let cross = [("cookie", cookie.as_str()), ("sec-fetch-site", "cross-site")];
    assert_eq!(send(&server, "GET", "/inspector/api/history", &cross).await.status(), StatusCode::FORBIDDEN);
    let elsewhere = [("authorization", basic("OPENVIDUAPP", SECRET)), ("origin", "https://evil.example".into())];
    let elsewhere: Vec<(&str, &str)> = elsewhere.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(send(&server, "POST", "/inspector/sign-in", &elsewhere).await.status(), StatusCode::FORBIDDEN);
    server.stop().await;
}

/// Reads SSE text from `response` until `found` says the text so far has what it waits for.
async fn read_until(response: &mut reqwest::Response, text: &mut String, found: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !found(text) {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk()).await.expect("in time").expect("the stream goes on");
        text.push_str(&String::from_utf8_lossy(&chunk.expect("the stream is open")));
    }
}

#[tokio::test]
async fn the_live_feed_delivers_bus_events_and_load_samples_and_the_history_reads_the_cdr() {
    let server = start(&[("OPENVIDU_CDR", "true")]).await;
    let cookie = sign_in(&server).await;
    let mut live = send(&server, "GET", "/inspector/api/live", &[("cookie", &cookie)]).await;
    assert_eq!(live.status(), StatusCode::OK);
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut text = String::new();
    read_until(&mut live, &mut text, |t| t.contains("event: ready")).await;

    server.session("inspected").await;
    read_until(&mut live, &mut text, |t| t.contains("\"sessionId\":\"inspected\"")).await;
    let line = text.lines().find(|l| l.contains("\"sessionId\":\"inspected\"")).unwrap();
    let event: Value = serde_json::from_str(line.strip_prefix("data: ").expect("an SSE data line")).unwrap();
    assert_eq!(event["event"], "sessionCreated");
    read_until(&mut live, &mut text, |t| t.contains("event: load")).await;

    assert_eq!(server.call("DELETE", "/openvidu/api/sessions/inspected", None).await.status, 204);
    let deadline = Instant::now() + DEADLINE;
    let history = loop {
        let response = send(&server, "GET", "/inspector/api/history", &[("cookie", &cookie)]).await;
        let history: Value = response.json().await.unwrap();
        let done = history["sessions"].as_array().unwrap().iter().find(|s| s["sessionId"] == "inspected").cloned();
        if let Some(session) = done.filter(|s| !s["endTime"].is_null()) {
            break session;
        }
        assert!(Instant::now() < deadline, "the CDR never showed the closed session: {history}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(history["reason"], "sessionClosedByServer");
    let events: Vec<&str> =
        history["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["sessionCreated", "sessionDestroyed"]);

    let load: Value =
        send(&server, "GET", "/inspector/api/node-load", &[("cookie", &cookie)]).await.json().await.unwrap();
    let nodes = load["nodes"].as_object().expect("per node");
    assert!(nodes.values().any(|samples| !samples.as_array().unwrap().is_empty()), "{load}");
    server.stop().await;
}

#[tokio::test]
async fn the_rest_api_keeps_its_permissive_cors() {
    let server = start(&[]).await;
    let preflight = send(
        &server,
        "OPTIONS",
        "/openvidu/api/sessions",
        &[("origin", "https://app.example"), ("access-control-request-method", "POST")],
    )
    .await;
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}

#[tokio::test]
async fn the_live_feed_carries_a_real_publishers_webrtc_figures_from_the_node() {
    let server = start(&[]).await;
    let cookie = sign_in(&server).await;
    server.session("charted").await;
    let publisher = common::media_publisher::MediaPublisher::start(&server, "charted", "{}").await;
    let mut live = send(&server, "GET", "/inspector/api/live", &[("cookie", &cookie)]).await;
    let mut text = String::new();
    // Rates need two samples of the node's totals: wait for a `stats` event with a video bitrate.
    let has_rate = |t: &str| {
        t.lines().filter_map(|l| l.strip_prefix("data: ")).filter_map(|d| serde_json::from_str::<Value>(d).ok()).any(
            |v| {
                v["streams"].as_array().is_some_and(|streams| {
                    streams.iter().any(|s| s["media"]["video"]["kbps"].as_f64().is_some_and(|k| k > 0.0))
                })
            },
        )
    };
    read_until(&mut live, &mut text, has_rate).await;
    let sample: Value = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .rfind(|v| v["streams"].is_array())
        .unwrap();
    let stream = sample["streams"].as_array().unwrap().iter().find(|s| s["streamId"] == publisher.stream.as_str());
    let stream = stream.unwrap_or_else(|| panic!("the publisher's endpoint is sampled: {sample}"));
    assert_eq!(stream["sessionId"], "charted");
    assert_eq!(stream["connectionId"], publisher.connection.as_str());
    assert!(stream["receivingFrom"].is_null(), "a publisher's endpoint");
    let video = &stream["media"]["video"];
    assert!(video["kbps"].as_f64().unwrap() > 10.0, "{video}");
    assert!(video["fps"].as_f64().unwrap() > 1.0, "{video}");
    publisher.leave().await;
    server.stop().await;
}
