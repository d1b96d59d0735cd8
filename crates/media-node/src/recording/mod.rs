//! Recordings and Composites, with GStreamer on their own threads: frames
//! leave the media workers through bounded taps ([`tap`]) and are written by
//! recorder threads ([`recorder`], [`writer`]) or mixed by Composite threads
//! ([`composite`], [`layout`]). [`studio`] is what the media layer drives.

pub mod codec_header;
pub mod composite;
pub mod gst_setup;
pub mod layout;
pub mod recorder;
pub mod studio;
pub mod tap;
pub mod timeline;
pub mod writer;
