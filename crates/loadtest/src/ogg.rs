//! A small Ogg demuxer (RFC 3533): pages with their CRC checked, packets
//! reassembled from the lacing values, across pages when they continue.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OggError {
    #[error("no Ogg page starts at byte {0}")]
    Capture(usize),
    #[error("the Ogg page at byte {0} is cut short")]
    Truncated(usize),
    #[error("the Ogg page at byte {0} has a bad checksum")]
    Checksum(usize),
    #[error("the Ogg page at byte {0} continues a packet that never started")]
    Continuation(usize),
}

/// CRC-32 of Ogg: polynomial 0x04c11db7, no reflection, initial value 0.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in bytes {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// The packets of the first logical stream, in order.
pub fn packets(bytes: &[u8]) -> Result<Vec<Vec<u8>>, OggError> {
    let mut packets = Vec::new();
    let mut partial: Option<Vec<u8>> = None;
    let mut serial = None;
    let mut at = 0;
    while at < bytes.len() {
        if bytes.len() < at + 27 {
            return Err(OggError::Truncated(at));
        }
        if &bytes[at..at + 4] != b"OggS" {
            return Err(OggError::Capture(at));
        }
        let header_type = bytes[at + 5];
        let page_serial = u32::from_le_bytes(bytes[at + 14..at + 18].try_into().expect("4 bytes"));
        let stored_crc = u32::from_le_bytes(bytes[at + 22..at + 26].try_into().expect("4 bytes"));
        let segments = usize::from(bytes[at + 26]);
        let table_end = at + 27 + segments;
        if bytes.len() < table_end {
            return Err(OggError::Truncated(at));
        }
        let lacing = &bytes[at + 27..table_end];
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let page_end = table_end + body_len;
        if bytes.len() < page_end {
            return Err(OggError::Truncated(at));
        }
        let mut page = bytes[at..page_end].to_vec();
        page[22..26].fill(0);
        if crc32(&page) != stored_crc {
            return Err(OggError::Checksum(at));
        }
        if *serial.get_or_insert(page_serial) != page_serial {
            at = page_end;
            continue;
        }
        let continued = header_type & 0x01 != 0;
        if continued && partial.is_none() && !packets.is_empty() {
            return Err(OggError::Continuation(at));
        }
        if !continued {
            partial = None;
        }
        let mut body = table_end;
        for &length in lacing {
            let length = usize::from(length);
            partial.get_or_insert_with(Vec::new).extend_from_slice(&bytes[body..body + length]);
            body += length;
            if length < 255 {
                packets.push(partial.take().unwrap_or_default());
            }
        }
        at = page_end;
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(serial: u32, continued: bool, lacing: &[u8], body: &[u8]) -> Vec<u8> {
        let mut page = b"OggS".to_vec();
        page.push(0);
        page.push(u8::from(continued));
        page.extend_from_slice(&0u64.to_le_bytes());
        page.extend_from_slice(&serial.to_le_bytes());
        page.extend_from_slice(&0u32.to_le_bytes());
        page.extend_from_slice(&0u32.to_le_bytes());
        page.push(lacing.len() as u8);
        page.extend_from_slice(lacing);
        page.extend_from_slice(body);
        let crc = crc32(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    #[test]
    fn reassembles_packets_across_pages() {
        let long = vec![7u8; 300];
        let mut file = page(1, false, &[3, 255], &[[1, 2, 3].as_slice(), &long[..255]].concat());
        file.extend(page(1, true, &[45, 0], &long[255..]));
        file.extend(page(2, false, &[1], &[9]));
        let packets = packets(&file).unwrap();
        assert_eq!(packets, vec![vec![1, 2, 3], long, vec![]]);
    }

    #[test]
    fn checks_the_crc() {
        let mut file = page(1, false, &[1], &[5]);
        let last = file.len() - 1;
        file[last] = 6;
        assert_eq!(packets(&file), Err(OggError::Checksum(0)));
        assert_eq!(packets(b"nope"), Err(OggError::Truncated(0)));
    }
}
