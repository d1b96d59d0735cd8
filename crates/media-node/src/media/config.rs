//! Where media flows: the address announced in ICE host candidates and the
//! UDP ports the workers bind.

use std::net::IpAddr;
use std::str::FromStr;

/// An inclusive UDP port range such as `40000-40999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (first, last) = text.split_once('-').unwrap_or((text, text));
        let parse =
            |part: &str| part.trim().parse::<u16>().map_err(|_| format!("'{part}' is not a port number (1-65535)"));
        let (first, last) = (parse(first)?, parse(last)?);
        if first == 0 || first > last {
            return Err(format!("'{text}' is not a port range FIRST-LAST with 1 <= FIRST <= LAST"));
        }
        Ok(PortRange { first, last })
    }
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Announced in host candidates and bound by the workers' sockets.
    pub rtc_address: IpAddr,
    /// Ports for the workers' sockets; `None` lets the system choose.
    pub rtc_ports: Option<PortRange>,
    /// Media worker threads, each with its own socket.
    pub workers: usize,
    /// When set, recorders may only write inside this folder (remote nodes, `--recording-root`).
    pub recording_root: Option<std::path::PathBuf>,
    /// Per-stream statistics for `/metrics` (NACK/PLI/FIR, RTP volumes, loss); off saves their cost.
    pub metrics: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            rtc_address: IpAddr::from([127, 0, 0, 1]),
            rtc_ports: None,
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            recording_root: None,
            metrics: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_single_ports() {
        assert_eq!("40000-40999".parse(), Ok(PortRange { first: 40000, last: 40999 }));
        assert_eq!("5000".parse(), Ok(PortRange { first: 5000, last: 5000 }));
    }

    #[test]
    fn refuses_reversed_zero_and_junk() {
        assert!("41000-40000".parse::<PortRange>().is_err());
        assert!("0-10".parse::<PortRange>().is_err());
        assert!("a-b".parse::<PortRange>().is_err());
        assert!("70000".parse::<PortRange>().is_err());
    }
}
