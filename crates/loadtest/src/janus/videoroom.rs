//! The VideoRoom plugin's requests (the `body` of a Janus `message`) and the
//! checks on its answers. Rooms and participants are numbers by default and
//! strings with the plugin's `string_ids`; they are kept as JSON values so
//! both work.

use serde_json::{Value, json};

pub const PLUGIN: &str = "janus.plugin.videoroom";

/// Publishers a room admits. One per room in the default load, but a mesh
/// (every participant publishing) needs many; Janus only checks this number.
pub const MAX_PUBLISHERS: u64 = 1000;

/// The rooms' video bitrate (bit/s), which Janus announces to publishers with
/// REMB. Well above the clip's ~500 kbit/s so that it is never the limit.
pub const BITRATE: u64 = 2_000_000;

/// A room for VP8 + Opus publishers, not recorded, not saved in Janus's config.
pub fn create_room() -> Value {
    json!({
        "request": "create",
        "description": "plenum-loadtest",
        "publishers": MAX_PUBLISHERS,
        "bitrate": BITRATE,
        "audiocodec": "opus",
        "videocodec": "vp8",
        "record": false,
        "permanent": false,
    })
}

pub fn destroy_room(room: &Value) -> Value {
    json!({"request": "destroy", "room": room})
}

/// Joins `room` as a publisher and publishes the offer sent along (answered by a `joined` event).
pub fn publish(room: &Value) -> Value {
    json!({"request": "joinandconfigure", "ptype": "publisher", "room": room, "display": "plenum-loadtest"})
}

/// Subscribes to every stream of publisher `feed` (answered by an `attached` event with Janus's offer).
pub fn subscribe(room: &Value, feed: &Value) -> Value {
    json!({"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed}]})
}

/// Completes a subscription with the client's answer sent along.
pub fn start() -> Value {
    json!({"request": "start"})
}

/// Checks that `data` is the `expected` answer (`"videoroom": expected`).
pub fn expect<'a>(data: &'a Value, expected: &str) -> Result<&'a Value, String> {
    match data.get("videoroom").and_then(Value::as_str) {
        Some(kind) if kind == expected => Ok(data),
        Some(kind) => Err(format!("expected \"{expected}\", got \"{kind}\"")),
        None => Err(format!("expected \"{expected}\", got {data}")),
    }
}

/// The room id in a `created` answer.
pub fn created_room(data: &Value) -> Result<Value, String> {
    id_field(expect(data, "created")?, "room")
}

/// The publisher's id (its feed, what subscribers ask for) in a `joined` answer.
pub fn joined_feed(data: &Value) -> Result<Value, String> {
    id_field(expect(data, "joined")?, "id")
}

fn id_field(data: &Value, field: &str) -> Result<Value, String> {
    match data.get(field) {
        Some(id @ (Value::Number(_) | Value::String(_))) => Ok(id.clone()),
        _ => Err(format!("no \"{field}\" in {data}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_are_vp8_opus_and_not_recorded() {
        let create = create_room();
        assert_eq!(create["request"], "create");
        assert_eq!((create["videocodec"].as_str(), create["audiocodec"].as_str()), (Some("vp8"), Some("opus")));
        assert_eq!(create["record"], false);
        assert!(create["bitrate"].as_u64() >= Some(1_000_000));
        assert!(create["publishers"].as_u64() >= Some(1));
        assert_eq!(destroy_room(&json!(5)), json!({"request": "destroy", "room": 5}));
    }

    #[test]
    fn joins_name_the_room_and_the_feed() {
        let publish = publish(&json!(5));
        assert_eq!(
            (publish["request"].as_str(), publish["ptype"].as_str()),
            (Some("joinandconfigure"), Some("publisher"))
        );
        assert_eq!(publish["room"], 5);
        assert_eq!(
            subscribe(&json!("abc"), &json!(77)),
            json!({"request": "join", "ptype": "subscriber", "room": "abc", "streams": [{"feed": 77}]})
        );
        assert_eq!(start(), json!({"request": "start"}));
    }

    #[test]
    fn answers_are_checked() {
        assert_eq!(created_room(&json!({"videoroom": "created", "room": 1234, "permanent": false})), Ok(json!(1234)));
        assert_eq!(created_room(&json!({"videoroom": "created", "room": "r1"})), Ok(json!("r1")));
        assert!(created_room(&json!({"videoroom": "created"})).is_err());
        assert!(created_room(&json!({"videoroom": "created", "room": null})).is_err());
        assert_eq!(joined_feed(&json!({"videoroom": "joined", "room": 1, "id": 42, "publishers": []})), Ok(json!(42)));
        assert_eq!(
            joined_feed(&json!({"videoroom": "event", "id": 42})),
            Err("expected \"joined\", got \"event\"".to_string())
        );
        assert!(expect(&json!([]), "joined").is_err());
        assert!(expect(&json!({"videoroom": "event", "started": "ok"}), "event").is_ok());
    }
}
