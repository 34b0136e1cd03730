//! Custom metadata (request headers, response headers and trailers), and `grpc-timeout`.

use std::time::Duration;

use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Metadata of a call: ASCII entries, and binary entries whose keys end in `-bin` (base64 on the
/// wire). Reserved headers (`grpc-*`, `content-type`, `te`, pseudo-headers) are not metadata.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    headers: HeaderMap,
}

pub(crate) fn b64_encode(v: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(v)
}

/// Accepts padded and unpadded base64.
pub(crate) fn b64_decode(v: &[u8]) -> Option<Vec<u8>> {
    let v = v.strip_suffix(b"==").or(v.strip_suffix(b"=")).unwrap_or(v);
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(v)
        .ok()
}

fn is_reserved(name: &str) -> bool {
    (name.starts_with("grpc-") && name != "grpc-previous-rpc-attempts")
        || matches!(
            name,
            "content-type" | "te" | "user-agent" | "content-length" | "host" | "connection"
        )
}

/// Errors adding metadata: an invalid key or value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidMetadata(pub String);

impl std::fmt::Display for InvalidMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid metadata: {}", self.0)
    }
}
impl std::error::Error for InvalidMetadata {}

impl Metadata {
    /// Empty metadata.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// The custom metadata in `headers` (reserved headers dropped).
    pub fn from_headers(headers: &HeaderMap) -> Metadata {
        let mut m = HeaderMap::new();
        for (k, v) in headers {
            if !is_reserved(k.as_str()) {
                m.append(k.clone(), v.clone());
            }
        }
        Metadata { headers: m }
    }

    /// Adds an ASCII entry. `key` must not end in `-bin`.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), InvalidMetadata> {
        if key.ends_with("-bin") {
            return Err(InvalidMetadata(format!(
                "{key}: ASCII value for a -bin key"
            )));
        }
        let k = HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes())
            .map_err(|_| InvalidMetadata(key.to_string()))?;
        let v = HeaderValue::from_str(value).map_err(|_| InvalidMetadata(key.to_string()))?;
        self.headers.append(k, v);
        Ok(())
    }

    /// Adds a binary entry. `key` must end in `-bin`.
    pub fn insert_bin(&mut self, key: &str, value: &[u8]) -> Result<(), InvalidMetadata> {
        if !key.ends_with("-bin") {
            return Err(InvalidMetadata(format!(
                "{key}: binary value needs a -bin key"
            )));
        }
        let k = HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes())
            .map_err(|_| InvalidMetadata(key.to_string()))?;
        let v = HeaderValue::from_str(&b64_encode(value))
            .map_err(|_| InvalidMetadata(key.to_string()))?;
        self.headers.append(k, v);
        Ok(())
    }

    /// The first ASCII value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.get_name(key)
    }

    /// [`get`](Self::get) by any header name, e.g. one built at compile time (not parsed).
    pub(crate) fn get_name<K: http::header::AsHeaderName>(&self, key: K) -> Option<&str> {
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }

    /// The first binary value of `key` (base64-decoded); `None` if absent or not base64.
    pub fn get_bin(&self, key: &str) -> Option<Vec<u8>> {
        self.headers.get(key).and_then(|v| b64_decode(v.as_bytes()))
    }

    /// Removes every value of `key`.
    pub fn remove(&mut self, key: &str) {
        self.headers.remove(key);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.headers.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// The underlying headers (binary values still base64).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub(crate) fn merge_into(&self, headers: &mut HeaderMap) {
        for (k, v) in &self.headers {
            headers.append(k.clone(), v.clone());
        }
    }
}

/// Encodes a `grpc-timeout` value: at most 8 digits and a unit.
pub fn encode_timeout(d: Duration) -> String {
    const MAX: u128 = 99_999_999;
    let ns = d.as_nanos();
    for (div, unit) in [
        (1u128, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
        (3_600_000_000_000, 'H'),
    ] {
        // Round up so the peer never sees a shorter deadline than ours.
        let v = ns.div_ceil(div);
        if v <= MAX {
            return format!("{v}{unit}");
        }
    }
    format!("{MAX}H")
}

/// Parses a `grpc-timeout` value; `None` if malformed.
pub fn parse_timeout(v: &[u8]) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit[0] {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(encode_timeout(Duration::from_millis(1)), "1000000n");
        assert_eq!(encode_timeout(Duration::from_secs(1)), "1000000u");
        assert_eq!(encode_timeout(Duration::from_secs(3600 * 24)), "86400000m");
        assert_eq!(parse_timeout(b"10S"), Some(Duration::from_secs(10)));
        assert_eq!(parse_timeout(b"5m"), Some(Duration::from_millis(5)));
        for bad in [&b""[..], b"S", b"123456789S", b"1x", b"-1S", b"1.5S"] {
            assert_eq!(parse_timeout(bad), None, "{bad:?}");
        }
        for ms in [0u64, 1, 999, 123_456, 99_999_999_999] {
            let d = Duration::from_millis(ms);
            assert!(parse_timeout(encode_timeout(d).as_bytes()).unwrap() >= d);
        }
    }

    #[test]
    fn metadata() {
        let mut m = Metadata::new();
        m.insert("x-a", "b").unwrap();
        m.insert_bin("x-b-bin", &[0, 1, 255]).unwrap();
        assert!(m.insert("x-c-bin", "v").is_err());
        assert!(m.insert_bin("x-c", b"v").is_err());
        assert!(m.insert("bad key", "v").is_err());
        assert_eq!(m.get("x-a"), Some("b"));
        assert_eq!(m.get_bin("x-b-bin"), Some(vec![0, 1, 255]));
        let mut h = HeaderMap::new();
        m.merge_into(&mut h);
        h.insert("grpc-timeout", HeaderValue::from_static("1S"));
        h.insert("x-p-bin", HeaderValue::from_static("AAE="));
        let back = Metadata::from_headers(&h);
        assert_eq!(back.len(), 3);
        assert_eq!(back.get_bin("x-p-bin"), Some(vec![0, 1]));
    }
}
