//! A recording's id: the session id, or `<sessionId>~1`, `~2`… when that name is
//! taken, as OpenVidu does. A name is taken when a folder of that name exists in
//! `OPENVIDU_RECORDING_PATH` *or* the store knows it (a recording whose folder
//! was removed by hand keeps its id until it is deleted).

/// The first of `session`, `session~1`, `session~2`… that `taken` refuses.
pub fn next_recording_id(session: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(session) {
        return session.to_string();
    }
    (1u64..).map(|n| format!("{session}~{n}")).find(|id| !taken(id)).expect("an unbounded sequence has a free name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_then_tilde_numbers() {
        assert_eq!(next_recording_id("ses_A", |_| false), "ses_A");
        assert_eq!(next_recording_id("ses_A", |id| id == "ses_A"), "ses_A~1");
        let taken = ["ses_A", "ses_A~1", "ses_A~3"];
        assert_eq!(next_recording_id("ses_A", |id| taken.contains(&id)), "ses_A~2");
    }
}
