//! OpenVidu's enumerated values, as they appear on the wire.
//!
//! Each enum parses from and prints to its exact OpenVidu spelling, and can list
//! the allowed spellings for error messages.

/// An enum whose values travel as fixed strings.
pub trait WireEnum: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }

    fn allowed() -> String {
        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Declares a [`WireEnum`] with `Serialize` and `Display` as its wire spelling.
///
/// Attributes pass through, on the enum and on each variant, so a variant can
/// carry its doc comment, and `#[derive(Default)]` on the enum with
/// `#[default]` on a variant gives the default OpenVidu documents.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $crate::openvidu_enums::WireEnum for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::openvidu_enums::WireEnum::as_str(*self))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::openvidu_enums::WireEnum::as_str(*self))
            }
        }
    };
}

/// So the enums of other modules (cluster, recording) are declared the same way.
pub(crate) use wire_enum;

wire_enum!(MediaMode { Routed = "ROUTED", Relayed = "RELAYED" });
wire_enum!(RecordingMode { Manual = "MANUAL", Always = "ALWAYS" });
wire_enum!(OutputMode { Composed = "COMPOSED", ComposedQuickStart = "COMPOSED_QUICK_START", Individual = "INDIVIDUAL" });
wire_enum!(RecordingLayout {
    BestFit = "BEST_FIT",
    PictureInPicture = "PICTURE_IN_PICTURE",
    VerticalPresentation = "VERTICAL_PRESENTATION",
    HorizontalPresentation = "HORIZONTAL_PRESENTATION",
    Custom = "CUSTOM",
});
wire_enum!(Role { Subscriber = "SUBSCRIBER", Publisher = "PUBLISHER", Moderator = "MODERATOR" });
wire_enum!(ConnectionType { Webrtc = "WEBRTC", Ipcam = "IPCAM" });
wire_enum!(
    /// `MEDIA_SERVER_PREFERRED` resolves to VP8 on a Kurento-protocol media node.
    VideoCodec { MediaServerPreferred = "MEDIA_SERVER_PREFERRED", None = "NONE", Vp8 = "VP8", Vp9 = "VP9", H264 = "H264" }
);

impl OutputMode {
    pub fn is_composed(self) -> bool {
        matches!(self, OutputMode::Composed | OutputMode::ComposedQuickStart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_exact_spelling() {
        assert_eq!(Role::parse("MODERATOR"), Some(Role::Moderator));
        assert_eq!(Role::parse("moderator"), None);
        assert_eq!(VideoCodec::H264.as_str(), "H264");
        assert_eq!(Role::allowed(), "SUBSCRIBER, PUBLISHER, MODERATOR");
        assert_eq!(serde_json::to_string(&OutputMode::ComposedQuickStart).unwrap(), "\"COMPOSED_QUICK_START\"");
    }
}
