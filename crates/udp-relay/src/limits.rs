//! One UDP socket per receiver: thousands of descriptors, past the usual soft
//! limit of 1024. The load generator raises its own soft limit up to the hard one.

/// Raises the soft `RLIMIT_NOFILE` to at least `wanted` (capped at the hard
/// limit); returns the soft limit in force afterwards.
pub fn raise_open_files(wanted: u64) -> std::io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let target = wanted.min(limit.rlim_max);
    if limit.rlim_cur >= target {
        return Ok(limit.rlim_cur);
    }
    limit.rlim_cur = target;
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_lowers_the_limit() {
        let now = raise_open_files(0).unwrap();
        assert!(now > 0);
        assert!(raise_open_files(now).unwrap() >= now);
    }
}
