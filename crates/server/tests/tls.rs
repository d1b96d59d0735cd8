//! HTTPS with a self-signed certificate and with the operator's PEM files.

mod common;

use common::*;

#[tokio::test]
async fn self_signed_https_serves_the_api_and_tokens_use_wss() {
    let server = start(&[("SERVER_SSL_ENABLED", "true")]).await;
    assert!(server.base.starts_with("https://"));
    let fingerprint = server.server.as_ref().unwrap().tls_fingerprint.clone().unwrap();
    assert_eq!(fingerprint.split(':').count(), 32, "SHA-256 fingerprint: {fingerprint}");
    server.session("s").await;
    let token = server.connection("s", "{}").await["token"].as_str().unwrap().to_string();
    let port = server.server.as_ref().unwrap().local_addr.port();
    assert!(token.starts_with(&format!("wss://127.0.0.1:{port}?sessionId=s&token=tok_")), "{token}");
    // Verified by hostname too: the certificate names localhost.
    let by_name = server
        .client
        .get(format!("https://localhost:{port}/openvidu/api/health"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.status(), 200);
    // Plain HTTP to a TLS port does not reach the API.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/openvidu/api/health")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    server.stop().await;
}

#[tokio::test]
async fn operator_certificate_files_are_used() {
    install_crypto();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let server = start(&[
        ("SERVER_SSL_ENABLED", "true"),
        ("CERTIFICATE_TYPE", "owncert"),
        ("SERVER_SSL_CERTIFICATE", cert.to_str().unwrap()),
        ("SERVER_SSL_KEY", key.to_str().unwrap()),
    ])
    .await;
    let expected = plenum::tls::fingerprint(generated.cert.der());
    assert_eq!(server.server.as_ref().unwrap().tls_fingerprint.as_deref(), Some(expected.as_str()));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(generated.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let reply = client
        .get(format!("{}/openvidu/api/config", server.base))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    server.stop().await;
}
