//! The signaling websocket's transport: the HTTP upgrade and the sending of
//! large messages in fragments.
//!
//! axum's `WebSocketUpgrade` cannot send a message in fragments, and tungstenite
//! keeps its write buffer at the size of the largest frame it ever sent. In a
//! session of 1,000 participants a joinRoom answer lists everyone already there
//! (~90 KB), so every idle participant kept a buffer that size for its whole
//! life. Here the upgrade is done with hyper and tokio-tungstenite directly,
//! and messages above [`FRAGMENT`] bytes go out as several frames, so no
//! socket's buffer grows beyond one fragment.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Sink, SinkExt};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error, Message};

/// The upgraded connection.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Largest frame sent; longer messages are split. Also the read and write buffer size.
pub const FRAGMENT: usize = 4 * 1024;

/// Checks the websocket handshake headers of `request`. On success, answers 101
/// and runs `serve` on the socket once hyper hands the connection over.
pub fn accept<F, Fut>(mut request: Request, serve: F) -> Response
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let accept_key = match handshake_key(request.headers()) {
        Ok(key) => key,
        Err((status, reason)) => {
            let mut refusal = (status, reason).into_response();
            if status == StatusCode::UPGRADE_REQUIRED {
                refusal.headers_mut().insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
            }
            return refusal;
        }
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default().read_buffer_size(FRAGMENT).write_buffer_size(FRAGMENT);
                let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
                serve(socket).await;
            }
            Err(failure) => tracing::debug!("signaling websocket upgrade failed: {failure}"),
        }
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept_key);
    response
}

/// The `Sec-WebSocket-Accept` value for a valid RFC 6455 handshake, or why it is refused.
fn handshake_key(headers: &HeaderMap) -> Result<HeaderValue, (StatusCode, &'static str)> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(token))
    };
    if !has_token(header::UPGRADE, "websocket") {
        return Err((StatusCode::BAD_REQUEST, "expected a websocket upgrade (Upgrade: websocket)"));
    }
    if !has_token(header::CONNECTION, "upgrade") {
        return Err((StatusCode::BAD_REQUEST, "the Connection header must include 'upgrade'"));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        return Err((StatusCode::UPGRADE_REQUIRED, "only websocket version 13 is supported"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err((StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key"));
    };
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| (StatusCode::BAD_REQUEST, "invalid Sec-WebSocket-Key"))
}

/// Sends `text` as one text message, in fragments of at most [`FRAGMENT`] bytes.
/// Fragments may split a UTF-8 sequence: only the whole message must be valid.
pub async fn send_text<S>(sink: &mut S, text: String) -> Result<(), Error>
where
    S: Sink<Message, Error = Error> + Unpin,
{
    if text.len() <= FRAGMENT {
        return sink.send(Message::text(text)).await;
    }
    let bytes = Bytes::from(text);
    for (index, start) in (0..bytes.len()).step_by(FRAGMENT).enumerate() {
        let end = (start + FRAGMENT).min(bytes.len());
        let opcode = if index == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
        sink.send(Message::Frame(Frame::message(bytes.slice(start..end), opcode, end == bytes.len()))).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        headers
    }

    #[test]
    fn a_valid_handshake_gets_the_rfc_accept_key() {
        // The sample key and answer of RFC 6455 §1.3.
        assert_eq!(handshake_key(&handshake()).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn handshakes_missing_a_part_are_refused() {
        for (name, status) in [
            (header::UPGRADE, StatusCode::BAD_REQUEST),
            (header::CONNECTION, StatusCode::BAD_REQUEST),
            (header::SEC_WEBSOCKET_VERSION, StatusCode::UPGRADE_REQUIRED),
            (header::SEC_WEBSOCKET_KEY, StatusCode::BAD_REQUEST),
        ] {
            let mut headers = handshake();
            headers.remove(&name);
            assert_eq!(handshake_key(&headers).unwrap_err().0, status, "without {name}");
        }
    }

    /// Collects what `send_text` hands to the socket.
    #[derive(Default)]
    struct Recorder(Vec<Message>);

    impl Sink<Message> for Recorder {
        type Error = Error;
        fn poll_ready(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn start_send(mut self: std::pin::Pin<&mut Self>, item: Message) -> Result<(), Error> {
            self.0.push(item);
            Ok(())
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn small_messages_go_whole_and_large_ones_in_fragments() {
        let mut sink = Recorder::default();
        send_text(&mut sink, "x".repeat(FRAGMENT)).await.unwrap();
        assert!(matches!(&sink.0[..], [Message::Text(text)] if text.len() == FRAGMENT));

        let mut sink = Recorder::default();
        let large = "é".repeat(FRAGMENT); // two bytes each: fragments split characters
        send_text(&mut sink, large.clone()).await.unwrap();
        assert_eq!(sink.0.len(), 2);
        let mut joined = Vec::new();
        for (index, message) in sink.0.iter().enumerate() {
            let Message::Frame(frame) = message else { panic!("fragment {index} is not a frame") };
            let expected = if index == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
            assert_eq!(frame.header().opcode, expected);
            assert_eq!(frame.header().is_final, index == 1);
            assert!(frame.payload().len() <= FRAGMENT);
            joined.extend_from_slice(frame.payload());
        }
        assert_eq!(String::from_utf8(joined).unwrap(), large);
    }
}
