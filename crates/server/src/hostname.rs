//! Host names as Plenum accepts them: in configuration values (`DOMAIN_OR_PUBLIC_IP`)
//! and in STUN/TURN URLs alike.
//!
//! A leaf module, so that [`crate::config`] and [`crate::ice`] can share one rule
//! without depending on each other.

use std::net::IpAddr;

/// A domain name: dot-separated labels of letters, digits and inner hyphens.
pub fn is_domain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An IP address (v4 or v6, without brackets) or a domain name.
pub fn is_ip_or_domain(text: &str) -> bool {
    text.parse::<IpAddr>().is_ok() || is_domain(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_have_well_formed_labels() {
        assert!(is_domain("my.openvidu.io"));
        assert!(is_domain("localhost"));
        assert!(!is_domain(""));
        assert!(!is_domain("bad host"));
        assert!(!is_domain("-lead.example.com"));
        assert!(!is_domain("a..b"));
    }

    #[test]
    fn ips_and_domains_are_hosts() {
        assert!(is_ip_or_domain("10.0.0.1"));
        assert!(is_ip_or_domain("::1"));
        assert!(is_ip_or_domain("turn.example.com"));
        assert!(!is_ip_or_domain("[::1]"));
    }
}
