//! API tokens: Plane's format `plane_api_` + 32 lower-case hex characters. Only a SHA-256 hash
//! is stored (a token has 128 random bits, so a fast hash is enough; there is nothing to
//! brute-force), plus a short hint to tell tokens apart in lists.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "plane_api_";

/// A freshly generated token: shown once, then only its hash is kept.
pub struct NewToken {
    pub token: String,
    pub hash: String,
    pub hint: String,
}

pub fn generate() -> NewToken {
    let bytes: [u8; 16] = rand::random();
    let token = format!("{PREFIX}{}", hex::encode(bytes));
    NewToken {
        hash: hash(&token),
        hint: hint(&token),
        token,
    }
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `plane_api_…` plus the last four characters.
pub fn hint(token: &str) -> String {
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{PREFIX}…{tail}")
}

/// Whether a presented key has the token shape (a cheap check before any lookup).
pub fn looks_like_token(key: &str) -> bool {
    key.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 32
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The tokens this node has recently seen valid, by hash: which rate-limit counter a key's
/// request will count against, known before the token is looked up again.
///
/// Only a guess: the request still looks its token up, and counts against the right counter if
/// the guess was wrong. Knowing it first lets a request count its hit before the lookup; on
/// Postgres the counter's write also reads the change counter (in the same statement), and the
/// lookup, answered from memory, then needs no round trip of its own.
#[derive(Default)]
pub struct KnownTokens(std::sync::Mutex<std::collections::HashMap<String, KnownToken>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownToken {
    pub id: uuid::Uuid,
    pub is_service: bool,
}

/// Tokens remembered at most; beyond, the map starts afresh (a guess costs nothing to lose).
const MAX_KNOWN_TOKENS: usize = 10_000;

impl KnownTokens {
    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, KnownToken>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, hash: &str) -> Option<KnownToken> {
        self.map().get(hash).copied()
    }

    pub fn remember(&self, hash: &str, token: KnownToken) {
        let mut map = self.map();
        if map.get(hash) == Some(&token) {
            return;
        }
        if map.len() >= MAX_KNOWN_TOKENS {
            map.clear();
        }
        map.insert(hash.to_string(), token);
    }

    pub fn forget(&self, hash: &str) {
        self.map().remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_planes_shape_and_are_hashed() {
        let t = generate();
        assert!(looks_like_token(&t.token), "{}", t.token);
        assert_eq!(t.token.len(), PREFIX.len() + 32);
        assert_eq!(t.hash, hash(&t.token));
        assert_eq!(t.hash.len(), 64);
        assert!(!t.hash.contains(&t.token[PREFIX.len()..]));
        assert!(t.hint.ends_with(&t.token[t.token.len() - 4..]));
        assert_ne!(generate().token, t.token);
        assert!(!looks_like_token("plane_api_XYZ"));
        assert!(!looks_like_token("pk_0123456789abcdef0123456789abcdef"));
    }
}
