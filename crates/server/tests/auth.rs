//! HTTP Basic authentication and CORS over real HTTP.

mod common;

use common::*;

#[tokio::test]
async fn every_api_path_needs_the_secret() {
    let server = start(&[]).await;
    let paths = [
        ("GET", "/openvidu/api/sessions"),
        ("POST", "/openvidu/api/sessions"),
        ("GET", "/openvidu/api/sessions/x"),
        ("POST", "/openvidu/api/tokens"),
        ("POST", "/openvidu/api/signal"),
        ("GET", "/openvidu/api/recordings"),
        ("GET", "/openvidu/api/config"),
        ("GET", "/openvidu/api/health"),
        ("DELETE", "/openvidu/api/sessions"),
        ("GET", "/openvidu/api/unknown"),
        ("GET", "/api/sessions"),
        ("POST", "/api/tokens"),
        ("GET", "/config"),
        ("GET", "/cdr"),
        ("GET", "/openvidu/cdr"),
    ];
    for (method, path) in paths {
        for auth in
            [None, Some(("OPENVIDUAPP", "WRONG_SECRET")), Some(("OTHER_USER", SECRET)), Some(("OPENVIDUAPP", ""))]
        {
            let reply = server.raw(method, path, Some("{}"), auth).await;
            assert_eq!(reply.status, 401, "{method} {path} {auth:?}");
            assert_eq!(reply.headers["www-authenticate"], "Basic realm=\"OpenVidu\"");
            assert_eq!(reply.json()["status"], 401);
        }
    }
    let malformed = server
        .client
        .get(format!("{}/openvidu/api/sessions", server.base))
        .header("authorization", "Basic %%%not-base64")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 401);
    assert_eq!(server.get("/openvidu/api/sessions").await.status, 200);
    assert_eq!(server.raw("POST", "/openvidu/api/sessions", None, None).await.status, 401, "and nothing was created");
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 0);
    server.stop().await;
}

#[tokio::test]
async fn cors_is_open_and_preflight_needs_no_credentials() {
    let server = start(&[]).await;
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/openvidu/api/sessions", server.base))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let actual = server
        .client
        .get(format!("{}/openvidu/api/sessions", server.base))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(actual.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}
