//! Self-signed, expiring URLs for fs-mode storage: `/api/storage/{key}?expires=…&signature=…`
//! where the signature is HMAC-SHA256 (instance secret) over the method, key and expiry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{ObjectKey, PresignedRequest};
use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Path prefix the signed URLs point at.
pub const ROUTE_PREFIX: &str = "/api/storage/";

#[derive(Clone)]
pub struct UrlSigner {
    secret: Secret,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the link has expired")]
    Expired,
    #[error("the link's signature does not match")]
    Mismatch,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl UrlSigner {
    pub fn new(secret: Secret) -> UrlSigner {
        UrlSigner { secret }
    }

    fn mac(&self, method: &str, key: &ObjectKey, expires: u64) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.secret.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(method.as_bytes());
        mac.update(b"\n");
        mac.update(key.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A URL under `base` (the address users reach the instance at, resolved per request:
    /// an admin may set it at run time) for `method` on `key`, valid for `ttl`.
    pub fn presign(
        &self,
        base: &url::Url,
        method: &str,
        key: &ObjectKey,
        ttl: Duration,
    ) -> PresignedRequest {
        let expires = unix_now().saturating_add(ttl.as_secs().max(1));
        let signature = hex::encode(self.mac(method, key, expires).finalize().into_bytes());
        let mut url = base.clone();
        let path = format!(
            "{}{}{}",
            url.path().trim_end_matches('/'),
            ROUTE_PREFIX,
            key.as_str()
                .split('/')
                .map(url_escape)
                .collect::<Vec<_>>()
                .join("/")
        );
        url.set_path(&path);
        url.query_pairs_mut()
            .clear()
            .append_pair("expires", &expires.to_string())
            .append_pair("signature", &signature);
        PresignedRequest {
            method: method.to_string(),
            url: url.to_string(),
            headers: Vec::new(),
        }
    }

    /// Checks a signature in constant time, then the expiry.
    pub fn verify(
        &self,
        method: &str,
        key: &ObjectKey,
        expires: u64,
        signature_hex: &str,
    ) -> Result<(), SignatureError> {
        let signature = hex::decode(signature_hex).map_err(|_| SignatureError::Mismatch)?;
        self.mac(method, key, expires)
            .verify_slice(&signature)
            .map_err(|_| SignatureError::Mismatch)?;
        if unix_now() > expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

fn url_escape(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> UrlSigner {
        UrlSigner::new(Secret::new("0123456789abcdef0123456789abcdef"))
    }

    fn base() -> url::Url {
        url::Url::parse("http://localhost:8080/").unwrap()
    }

    fn parts(url: &str) -> (u64, String) {
        let url = url::Url::parse(url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        (q["expires"].parse().unwrap(), q["signature"].clone())
    }

    #[test]
    fn a_signed_url_verifies_only_for_its_method_and_key() {
        let s = signer();
        let key = ObjectKey::parse("a/report 1.pdf").unwrap();
        let req = s.presign(&base(), "GET", &key, Duration::from_secs(60));
        assert!(
            req.url
                .starts_with("http://localhost:8080/api/storage/a/report%201.pdf?expires="),
            "{}",
            req.url
        );
        let (expires, sig) = parts(&req.url);
        assert_eq!(s.verify("GET", &key, expires, &sig), Ok(()));
        assert_eq!(
            s.verify("PUT", &key, expires, &sig),
            Err(SignatureError::Mismatch)
        );
        let other = ObjectKey::parse("a/other.pdf").unwrap();
        assert_eq!(
            s.verify("GET", &other, expires, &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            s.verify("GET", &key, expires + 1, &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            s.verify("GET", &key, expires, "zz"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_expired_url_is_refused() {
        let s = signer();
        let key = ObjectKey::parse("k").unwrap();
        let expires = unix_now() - 10;
        let sig = hex::encode(s.mac("GET", &key, expires).finalize().into_bytes());
        assert_eq!(
            s.verify("GET", &key, expires, &sig),
            Err(SignatureError::Expired)
        );
    }
}
