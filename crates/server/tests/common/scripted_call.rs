//! One short call over the signaling websocket, for tests that check what a
//! call leaves behind (CDR lines, webhook events): alice joins session `room`,
//! sends a chat signal and leaves, each request answered without error.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::TestServer;

/// Creates session `room`, a connection with serverData `alice-data`, and runs the call.
pub async fn alice_joins_signals_and_leaves(server: &TestServer) {
    server.session("room").await;
    let token = server.connection("room", r#"{"data":"alice-data"}"#).await["token"].as_str().unwrap().to_string();
    let url = format!("{}/openvidu?sessionId=room", server.base.replace("http", "ws"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frames = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "joinRoom", "params": {"token": token, "session": "room", "platform": "test", "metadata": "alice"}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "sendMessage", "params": {"message": json!({"type": "signal:chat", "data": "hi"}).to_string()}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "leaveRoom", "params": {}}),
    ];
    for frame in frames {
        socket.send(Message::text(frame.to_string())).await.unwrap();
        loop {
            let Some(Ok(Message::Text(text))) = socket.next().await else { panic!("socket ended") };
            let answer: Value = serde_json::from_str(&text).unwrap();
            if answer["id"] == frame["id"] {
                assert!(answer.get("error").is_none(), "{answer}");
                break;
            }
        }
    }
}
