//! `GET /openvidu/accept-certificate` (`/accept-certificate` in 2.13).
//!
//! With a self-signed certificate the browser refuses the signaling websocket
//! until the user accepts the certificate; openvidu-browser then points the
//! user at this page. Opening it over HTTPS is the acceptance; the page only
//! says so. It is public, as in OpenVidu.

use axum::response::Html;

pub async fn accept() -> Html<&'static str> {
    Html(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Certificate accepted</title></head>\
         <body><h1>Certificate accepted</h1><p>This browser now trusts this server's certificate. \
         You can close this tab and return to the application.</p></body></html>",
    )
}
