//! What the load generator reads from /proc about the relay and the kernel:
//! a process's resident memory (`VmRSS`, `VmHWM` in /proc/PID/status) and the
//! UDP counters of /proc/net/snmp (datagrams dropped on a full receive buffer
//! tell kernel drops apart from relay drops). CPU time comes from
//! [`plenum_loadtest::cpu`], as for the SFU.

/// The value in kB of the `field` line (e.g. `VmRSS`) of a /proc/PID/status text.
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Resident and peak resident memory of `pid`, in KiB.
pub fn memory_kib(pid: u32) -> (Option<u64>, Option<u64>) {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => (status_kib(&status, "VmRSS"), status_kib(&status, "VmHWM")),
        Err(_) => (None, None),
    }
}

/// The `name` counter of the `Udp:` lines (a header line, then a values line) of /proc/net/snmp.
pub fn snmp_udp(snmp: &str, name: &str) -> Option<u64> {
    let mut lines = snmp.lines().filter_map(|line| line.strip_prefix("Udp:"));
    let names = lines.next()?;
    let values = lines.next()?;
    let at = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// UDP datagrams the kernel dropped on a full socket receive buffer, all sockets.
pub fn udp_rcvbuf_errors() -> Option<u64> {
    snmp_udp(&std::fs::read_to_string("/proc/net/snmp").ok()?, "RcvbufErrors")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_lines() {
        let status = "Name:\trelay\nVmHWM:\t    9000 kB\nVmRSS:\t    2032 kB\nThreads:\t1\n";
        assert_eq!(status_kib(status, "VmRSS"), Some(2032));
        assert_eq!(status_kib(status, "VmHWM"), Some(9000));
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib("VmRSS: lots", "VmRSS"), None);
        let (rss, peak) = memory_kib(std::process::id());
        assert!(rss.is_some_and(|r| r > 0) && peak >= rss);
    }

    #[test]
    fn reads_udp_counters() {
        let snmp = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n\
                    Udp: 10 2 3 40 5 0\n\
                    UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n\
                    UdpLite: 0 0 0 0 0 0\n";
        assert_eq!(snmp_udp(snmp, "RcvbufErrors"), Some(5));
        assert_eq!(snmp_udp(snmp, "InDatagrams"), Some(10));
        assert_eq!(snmp_udp(snmp, "Nope"), None);
        assert_eq!(snmp_udp("", "RcvbufErrors"), None);
        assert!(udp_rcvbuf_errors().is_some());
    }
}
