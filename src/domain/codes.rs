//! One-time secrets sent by email: magic sign-in codes and password-reset links.
//!
//! Both live in the key-value store with an expiry, are stored hashed, are compared in
//! constant time, and stop working after use. Asking for a magic code again re-sends the live
//! one (kept sealed under the instance secret for that) instead of voiding it. A magic code
//! also stops after a few wrong guesses (counted atomically, parallel guesses included), so it
//! cannot be brute-forced within its lifetime.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::crypto::SecretBox;
use crate::kv::{Kv, KvError, Namespace};

/// How long a magic code is valid.
pub const MAGIC_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Wrong guesses before a magic code is void.
pub const MAGIC_CODE_ATTEMPTS: u32 = 5;
/// How long a password-reset link is valid.
pub const RESET_LIFETIME: Duration = Duration::from_secs(60 * 60);

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Constant-time comparison of two secrets or digests (HMAC verification does it for us).
pub fn same(a: &str, b: &str) -> bool {
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(b"plane-aio digest comparison") else {
        return false;
    };
    mac.update(a.as_bytes());
    let expected = mac.finalize().into_bytes();
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(b"plane-aio digest comparison") else {
        return false;
    };
    mac.update(b.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

#[derive(Debug, Serialize, Deserialize)]
struct MagicCode {
    code_hash: String,
    /// The code sealed under the instance secret, so that asking again re-sends the live code
    /// rather than replacing it: someone asking for codes for an address cannot void the one
    /// its owner is about to type. (Absent in records of earlier versions.)
    #[serde(default)]
    sealed: Option<String>,
    /// When the code stops working (Unix milliseconds).
    #[serde(default)]
    expires_at_ms: Option<i64>,
}

/// A code to mail, and for how many more minutes it works.
#[derive(Debug)]
pub struct IssuedCode {
    pub code: String,
    pub minutes_left: u64,
}

/// A live code is re-sent only with at least this long left; else a fresh one is made.
const RESEND_AT_LEAST: Duration = Duration::from_secs(2 * 60);

/// Plane's code shape: three groups of four lower-case letters, e.g. `qwer-tyui-opas`.
fn new_code() -> String {
    let mut rng = rand::rng();
    (0..3)
        .map(|_| {
            (0..4)
                .map(|_| rng.random_range(b'a'..=b'z') as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The code to mail to `email`: the live one when it has a while left (the same code again, its
/// expiry and guesses unchanged), else a new one replacing it.
pub async fn issue_magic_code(
    kv: &Kv,
    secrets: &SecretBox,
    email: &str,
) -> Result<IssuedCode, KvError> {
    let key = format!("magic:{email}");
    let now = crate::kv::now_ms();
    if let Some(live) = kv.get::<MagicCode>(Namespace::AuthCodes, &key).await?
        && let (Some(sealed), Some(expires_at)) = (&live.sealed, live.expires_at_ms)
        && expires_at - now >= RESEND_AT_LEAST.as_millis() as i64
        && let Ok(code) = secrets.open(sealed)
        && same(&digest(&code), &live.code_hash)
    {
        // Clamped: another node's clock stamped the expiry.
        let lifetime_minutes = MAGIC_CODE_LIFETIME.as_secs() / 60;
        return Ok(IssuedCode {
            code,
            minutes_left: (((expires_at - now) as u64) / 60_000).min(lifetime_minutes),
        });
    }
    let code = new_code();
    let record = MagicCode {
        code_hash: digest(&code),
        // Without a seal the code still works; it is only not re-sent.
        sealed: secrets.seal(&code).ok(),
        expires_at_ms: Some(now + MAGIC_CODE_LIFETIME.as_millis() as i64),
    };
    kv.set(
        Namespace::AuthCodes,
        &key,
        &record,
        Some(MAGIC_CODE_LIFETIME),
    )
    .await?;
    Ok(IssuedCode {
        code,
        minutes_left: MAGIC_CODE_LIFETIME.as_secs() / 60,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Valid,
    /// Wrong, expired, used, or out of attempts: callers answer all the same way.
    Invalid,
}

/// The guess counter of one issued code (a new code starts its own).
fn attempts_key(email: &str, record: &MagicCode) -> String {
    format!("magic-attempts:{email}:{}", record.code_hash)
}

/// Checks a code; a right code is consumed, a wrong one uses up an attempt.
///
/// Atomic against parallel submissions: each guess is counted with the store's atomic
/// increment before it is compared, so no more than `MAGIC_CODE_ATTEMPTS` guesses are ever
/// compared, and a right code is valid only for the one request whose removal of it succeeds.
pub async fn check_magic_code(kv: &Kv, email: &str, code: &str) -> Result<CodeCheck, KvError> {
    let key = format!("magic:{email}");
    let Some(record) = kv.get::<MagicCode>(Namespace::AuthCodes, &key).await? else {
        // The same store work as a wrong guess at a code: whether a code was issued (and so,
        // with sign-up closed, whether the address has an account) must not show in the time
        // the answer takes. On Postgres the count is a round trip a bare read would not make.
        kv.increment(
            Namespace::AuthCodes,
            &format!("magic-none:{email}"),
            MAGIC_CODE_LIFETIME,
        )
        .await?;
        return Ok(CodeCheck::Invalid);
    };
    let attempt = kv
        .increment(
            Namespace::AuthCodes,
            &attempts_key(email, &record),
            MAGIC_CODE_LIFETIME,
        )
        .await?
        .count;
    let limit = u64::from(MAGIC_CODE_ATTEMPTS);
    if attempt > limit {
        // Never compared, and the code is left alone: one of the first guesses may be the
        // right one, still on its way to removing it (removed here first, it would fail too).
        // The last counted guess removes a code nobody guessed.
        return Ok(CodeCheck::Invalid);
    }
    let code = code.trim().to_ascii_lowercase();
    if same(&digest(&code), &record.code_hash) {
        // Of several parallel right guesses, only the one that removes the code wins.
        return Ok(if kv.remove(Namespace::AuthCodes, &key).await? {
            CodeCheck::Valid
        } else {
            CodeCheck::Invalid
        });
    }
    if attempt >= limit {
        kv.remove(Namespace::AuthCodes, &key).await?;
    }
    Ok(CodeCheck::Invalid)
}

#[derive(Debug, Serialize, Deserialize)]
struct ResetRecord {
    user_id: Uuid,
    /// Digest of the password hash when the link was made: changing the password voids it.
    password_fingerprint: String,
}

/// Fingerprint of a user's current password hash (empty when none).
pub fn password_fingerprint(password_hash: Option<&str>) -> String {
    digest(password_hash.unwrap_or(""))
}

/// Makes a reset token for a user; returns the token for the emailed link.
pub async fn issue_reset_token(
    kv: &Kv,
    user_id: Uuid,
    fingerprint: String,
) -> Result<String, KvError> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    kv.set(
        Namespace::AuthCodes,
        &format!("reset:{}", digest(&token)),
        &ResetRecord {
            user_id,
            password_fingerprint: fingerprint,
        },
        Some(RESET_LIFETIME),
    )
    .await?;
    Ok(token)
}

fn reset_key(token: &str) -> Option<String> {
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("reset:{}", digest(token)))
}

/// Reads a reset token without using it up: the user and fingerprint it was made for.
pub async fn peek_reset_token(kv: &Kv, token: &str) -> Result<Option<(Uuid, String)>, KvError> {
    let Some(key) = reset_key(token) else {
        return Ok(None);
    };
    Ok(kv
        .get::<ResetRecord>(Namespace::AuthCodes, &key)
        .await?
        .map(|record| (record.user_id, record.password_fingerprint)))
}

/// Consumes a reset token: returns the user and fingerprint it was made for, once.
pub async fn take_reset_token(kv: &Kv, token: &str) -> Result<Option<(Uuid, String)>, KvError> {
    let Some(key) = reset_key(token) else {
        return Ok(None);
    };
    let Some(record) = kv.get::<ResetRecord>(Namespace::AuthCodes, &key).await? else {
        return Ok(None);
    };
    if !kv.remove(Namespace::AuthCodes, &key).await? {
        // Another request took it first.
        return Ok(None);
    }
    Ok(Some((record.user_id, record.password_fingerprint)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_planes_shape() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert!(
            code.split('-')
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }
}
