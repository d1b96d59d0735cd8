//! Batched datagram I/O: `recvmmsg` into fixed slots and `sendmmsg` of every
//! packet to every destination. One system call per batch instead of one per
//! datagram is what makes the relay the cheapest possible forwarder, the
//! baseline an SFU's cost per packet is compared with.
//!
//! The `mmsghdr`s point into the structs' own buffers; the pointers are laid
//! afresh before each call, so moving a struct between calls is harmless.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::SockAddr;

/// Bytes per receive slot: more than any RTP packet the load generator sends
/// (1212 bytes). A longer datagram is reported truncated, never forwarded.
pub const SLOT_LEN: usize = 2048;

/// The most messages one `sendmmsg` call takes (Linux's `UIO_MAXIOV`).
pub const MAX_SEND_BATCH: usize = 1024;

/// One received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    pub bytes: &'a [u8],
    /// `None` for an address family other than IPv4 or IPv6.
    pub source: Option<SocketAddr>,
    /// Longer than [`SLOT_LEN`]: `bytes` is only its start.
    pub truncated: bool,
}

/// Slots for up to `slots` datagrams per `recvmmsg` call.
pub struct RecvBatch {
    buffers: Vec<u8>,
    addresses: Vec<libc::sockaddr_storage>,
    iovecs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
    received: usize,
}

impl RecvBatch {
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        // SAFETY: all zeros is a valid value of these plain C structs (null pointers, zero lengths).
        let (address, iovec, header) = unsafe { (std::mem::zeroed(), std::mem::zeroed(), std::mem::zeroed()) };
        Self {
            buffers: vec![0; slots * SLOT_LEN],
            addresses: vec![address; slots],
            iovecs: vec![iovec; slots],
            headers: vec![header; slots],
            received: 0,
        }
    }

    /// Receives up to the batch's slots of datagrams from `fd` with the
    /// `recvmmsg` `flags` (`MSG_WAITFORONE` to block for the first only,
    /// `MSG_DONTWAIT` not to block at all); returns how many arrived.
    pub fn receive(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<usize> {
        self.received = 0;
        let slots = self.headers.len();
        for (i, chunk) in self.buffers.chunks_exact_mut(SLOT_LEN).enumerate() {
            self.iovecs[i] = libc::iovec { iov_base: chunk.as_mut_ptr().cast(), iov_len: SLOT_LEN };
            let header = &mut self.headers[i];
            header.msg_hdr.msg_name = (&mut self.addresses[i] as *mut libc::sockaddr_storage).cast();
            header.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_hdr.msg_iov = &mut self.iovecs[i];
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_control = std::ptr::null_mut();
            header.msg_hdr.msg_controllen = 0;
            header.msg_hdr.msg_flags = 0;
            header.msg_len = 0;
        }
        let count = libc::c_uint::try_from(slots).unwrap_or(libc::c_uint::MAX);
        // SAFETY: every header points at its own address slot and iovec, and
        // each iovec at its own SLOT_LEN bytes of `buffers`; all live in `self`,
        // which is borrowed mutably for the whole call.
        let received =
            unsafe { libc::recvmmsg(fd.as_raw_fd(), self.headers.as_mut_ptr(), count, flags, std::ptr::null_mut()) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        self.received = usize::try_from(received).unwrap_or(0).min(slots);
        Ok(self.received)
    }

    /// How many datagrams the last [`RecvBatch::receive`] got.
    pub fn len(&self) -> usize {
        self.received
    }

    pub fn is_empty(&self) -> bool {
        self.received == 0
    }

    /// The `index`th datagram of the last receive.
    pub fn get(&self, index: usize) -> Option<Datagram<'_>> {
        if index >= self.received {
            return None;
        }
        let header = &self.headers[index];
        let length = usize::try_from(header.msg_len).unwrap_or(usize::MAX).min(SLOT_LEN);
        let start = index * SLOT_LEN;
        Some(Datagram {
            bytes: &self.buffers[start..start + length],
            source: crate::sockaddr::from_storage(&self.addresses[index], header.msg_hdr.msg_namelen),
            truncated: header.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        })
    }
}

/// What one fan-out did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanoutCount {
    /// Datagrams the kernel took.
    pub sent: u64,
    /// Datagrams it refused (each skipped).
    pub errors: u64,
    /// `sendmmsg` calls made.
    pub calls: u64,
}

/// Sends packets to many destinations with as few `sendmmsg` calls as possible.
pub struct Fanout {
    iovecs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
}

impl Default for Fanout {
    fn default() -> Self {
        Self { iovecs: Vec::new(), headers: Vec::with_capacity(MAX_SEND_BATCH) }
    }
}

impl Fanout {
    /// Sends every packet to every destination, packet by packet (so each
    /// destination gets them in order).
    pub fn send(&mut self, fd: BorrowedFd<'_>, packets: &[&[u8]], destinations: &[SockAddr]) -> FanoutCount {
        let mut count = FanoutCount::default();
        if destinations.is_empty() {
            return count;
        }
        self.iovecs.clear();
        self.iovecs
            .extend(packets.iter().map(|p| libc::iovec { iov_base: p.as_ptr().cast_mut().cast(), iov_len: p.len() }));
        for index in 0..self.iovecs.len() {
            let iovec: *mut libc::iovec = &mut self.iovecs[index];
            for destination in destinations {
                // SAFETY: all zeros is a valid mmsghdr.
                let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
                header.msg_hdr.msg_name = destination.as_ptr().cast_mut().cast();
                header.msg_hdr.msg_namelen = destination.len();
                header.msg_hdr.msg_iov = iovec;
                header.msg_hdr.msg_iovlen = 1;
                self.headers.push(header);
                if self.headers.len() == MAX_SEND_BATCH {
                    self.flush(fd, &mut count);
                }
            }
        }
        self.flush(fd, &mut count);
        count
    }

    fn flush(&mut self, fd: BorrowedFd<'_>, count: &mut FanoutCount) {
        let mut done = 0;
        while done < self.headers.len() {
            let rest = &mut self.headers[done..];
            let length = libc::c_uint::try_from(rest.len()).unwrap_or(libc::c_uint::MAX);
            count.calls += 1;
            // SAFETY: each header points at a destination and an iovec that the
            // caller of `send` keeps alive (borrowed for the whole call), and each
            // iovec at a packet borrowed likewise; the kernel only reads them.
            let sent = unsafe { libc::sendmmsg(fd.as_raw_fd(), rest.as_mut_ptr(), length, 0) };
            match usize::try_from(sent) {
                Ok(0) => {
                    // Nothing taken and no error: give the batch up rather than spin.
                    count.errors += rest.len() as u64;
                    break;
                }
                Ok(sent) => {
                    count.sent += sent as u64;
                    done += sent;
                }
                Err(_) if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // The first message failed (a full buffer, an unreachable
                    // destination): skip it, send the others.
                    count.errors += 1;
                    done += 1;
                }
            }
        }
        self.headers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;
    use std::time::Duration;

    #[test]
    fn fans_out_and_receives_in_batches_on_loopback() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receivers: Vec<UdpSocket> = (0..3).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        let destinations: Vec<SockAddr> = receivers.iter().map(|r| SockAddr::from(r.local_addr().unwrap())).collect();
        let packets: Vec<&[u8]> = vec![b"one", b"two", &[7u8; 1500]];
        let count = Fanout::default().send(sender.as_fd(), &packets, &destinations);
        assert_eq!(count, FanoutCount { sent: 9, errors: 0, calls: 1 });

        let from = sender.local_addr().unwrap();
        let mut batch = RecvBatch::new(8);
        for receiver in &receivers {
            receiver.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            // Loopback delivers during sendmmsg: all three are queued already.
            let got = batch.receive(receiver.as_fd(), libc::MSG_WAITFORONE).unwrap();
            assert_eq!(got, 3);
            for (i, packet) in packets.iter().enumerate() {
                let datagram = batch.get(i).unwrap();
                assert_eq!((datagram.bytes, datagram.source, datagram.truncated), (*packet, Some(from), false));
            }
            assert!(batch.get(3).is_none());
        }
    }

    #[test]
    fn a_datagram_longer_than_a_slot_is_marked_truncated() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(&[1u8; SLOT_LEN + 10], receiver.local_addr().unwrap()).unwrap();
        let mut batch = RecvBatch::new(2);
        receiver.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(batch.receive(receiver.as_fd(), libc::MSG_WAITFORONE).unwrap(), 1);
        let datagram = batch.get(0).unwrap();
        assert!(datagram.truncated);
        assert_eq!(datagram.bytes.len(), SLOT_LEN);
        // Nothing more: a non-blocking receive says so instead of waiting.
        let error = batch.receive(receiver.as_fd(), libc::MSG_DONTWAIT).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert!(batch.is_empty());
    }

    #[test]
    fn no_destinations_means_no_call() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(Fanout::default().send(sender.as_fd(), &[b"x"], &[]), FanoutCount::default());
    }
}
