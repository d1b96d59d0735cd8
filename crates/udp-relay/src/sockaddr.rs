//! Reading the source address that `recvmmsg` wrote into a `sockaddr_storage`.
//! (Addresses going the other way, to `sendmmsg`, are `socket2::SockAddr`s.)

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The IPv4 or IPv6 address in `storage` (of which the kernel filled `len`
/// bytes); `None` for other families or a short length.
pub fn from_storage(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = usize::try_from(len).ok()?;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, which is
            // smaller than sockaddr_storage and needs no stricter alignment.
            let v4 = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(v4.sin_port))))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let v6 = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(v6.sin6_port),
                u32::from_be(v6.sin6_flowinfo),
                v6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage_of(address: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
        let raw = socket2::SockAddr::from(address);
        let len = raw.len();
        let mut storage = raw.as_storage();
        // SAFETY: SockAddrStorage is a transparent wrapper of the platform's sockaddr_storage.
        (unsafe { *storage.view_as::<libc::sockaddr_storage>() }, len)
    }

    #[test]
    fn reads_what_the_kernel_writes() {
        for text in ["127.0.0.1:9000", "[::1]:443", "[fe80::1%3]:5"] {
            let address: SocketAddr = text.parse().unwrap();
            let (storage, len) = storage_of(address);
            assert_eq!(from_storage(&storage, len), Some(address), "{text}");
            assert_eq!(from_storage(&storage, 4), None, "short length");
        }
        // SAFETY: all zeros is a valid sockaddr_storage (family AF_UNSPEC).
        let empty: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        assert_eq!(from_storage(&empty, 128), None);
    }
}
