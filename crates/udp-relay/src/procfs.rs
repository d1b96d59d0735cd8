//! What the load generator reads from /proc about the relay and the kernel,
//! through the `procfs` crate (the workspace's one /proc reader): a process's
//! resident memory (`VmRSS`, `VmHWM` in /proc/PID/status) and the UDP counters
//! of /proc/net/snmp (datagrams dropped on a full receive buffer tell kernel
//! drops apart from relay drops). CPU time comes from
//! [`plenum_loadtest::cpu`], as for the SFU.

use ::procfs::net::Snmp;
use ::procfs::process::{Process, Status};

/// Resident and peak resident memory of a process status, in KiB.
pub fn status_kib(status: &Status) -> (Option<u64>, Option<u64>) {
    (status.vmrss, status.vmhwm)
}

/// Resident and peak resident memory of `pid`, in KiB.
pub fn memory_kib(pid: u32) -> (Option<u64>, Option<u64>) {
    let status = i32::try_from(pid).ok().and_then(|pid| Process::new(pid).ok()).and_then(|p| p.status().ok());
    status.as_ref().map_or((None, None), status_kib)
}

/// UDP datagrams the kernel dropped on a full socket receive buffer, all sockets.
pub fn udp_rcvbuf_errors() -> Option<u64> {
    ::procfs::net::snmp().ok().as_ref().map(rcvbuf_errors)
}

/// The `Udp: RcvbufErrors` counter of a /proc/net/snmp reading.
pub fn rcvbuf_errors(snmp: &Snmp) -> u64 {
    snmp.udp_rcvbuf_errors
}

#[cfg(test)]
mod tests {
    use ::procfs::FromBufRead;

    use super::*;

    /// The relay's `/proc/<pid>/status`, cut to the lines every kernel since 4.x has.
    const STATUS: &str = "Name:\tplenum-udp-rela\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t77\nNgid:\t0\n\
        Pid:\t77\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \n\
        VmPeak:\t  12000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    2032 kB\nThreads:\t1\nSigQ:\t0/96363\n\
        SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n\
        SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\n\
        CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n\
        CapAmb:\t0000000000000000\nvoluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t1\n";

    /// A /proc/net/snmp of a 6.x kernel.
    const SNMP: &str = "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos \
        InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs \
        FragFails FragCreates OutTransmits\n\
        Ip: 2 64 8593 0 0 0 0 0 8593 4341 0 0 0 0 0 0 0 0 0 4341\n\
        Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos \
        InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal \
        OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps \
        OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n\
        Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n\
        IcmpMsg: InType3\n\
        IcmpMsg: 1\n\
        Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs \
        OutSegs RetransSegs InErrs OutRsts InCsumErrors\n\
        Tcp: 1 200 120000 -1 22 2 0 7 3 8551 4317 0 0 9 0\n\
        Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n\
        Udp: 10 2 3 40 5 0 0 0 0\n\
        UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti \
        MemErrors\n\
        UdpLite: 0 0 0 0 7 0 0 0 0\n";

    #[test]
    fn reads_memory_lines() {
        let status = Status::from_buf_read(STATUS.as_bytes()).unwrap();
        assert_eq!(status_kib(&status), (Some(2032), Some(9000)));
        assert!(Status::from_buf_read("VmRSS: lots".as_bytes()).is_err());
        let (rss, peak) = memory_kib(std::process::id());
        assert!(rss.is_some_and(|r| r > 0) && peak >= rss);
        assert_eq!(memory_kib(u32::MAX), (None, None));
    }

    #[test]
    fn reads_udp_counters() {
        let snmp = Snmp::from_buf_read(SNMP.as_bytes()).unwrap();
        assert_eq!(rcvbuf_errors(&snmp), 5);
        assert_eq!(snmp.udp_in_datagrams, 10);
        assert!(Snmp::from_buf_read("".as_bytes()).is_err());
        assert!(udp_rcvbuf_errors().is_some());
    }
}
