//! Sign-in sessions, kept server-side in the key-value store (fjall, or Postgres when several
//! nodes share it), so sign-out and revocation take effect on the next request on every node.
//!
//! The cookie holds `<user id>.<secret>`; the store key is `<user id>:<sha256(secret)>`, so a
//! stolen store reveals no usable cookie, and a user's sessions can be listed and revoked by
//! key prefix. Sessions slide: each use pushes the expiry out (written at most every few
//! minutes, not on every request); a request whose use moved it out is told so
//! ([`Session::extended`]) and sends the cookie again with the new lifetime.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::kv::{Kv, KvError, Namespace};

/// Plane's session cookie name.
pub const COOKIE: &str = "session-id";
/// How long an unused session lives.
pub const LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// Live sessions one user may hold; signing in past it ends the least recently used ones, so
/// repeated sign-ins (a script, stolen credentials in a loop) cannot pile sessions up.
pub const MAX_PER_USER: usize = 100;
/// A session's last-seen time is written at most this often.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRecord {
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user_agent: String,
    pub ip: String,
    /// How the user signed in: password, magic-code, github, …
    pub medium: String,
}

/// A session found from its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    /// The store key; its second half (`id()`) is what the UI shows and revokes.
    pub key: String,
    pub record: SessionRecord,
    /// True when this use pushed the expiry out (by [`LIFETIME`] from now).
    pub extended: bool,
}

impl Session {
    pub fn id(&self) -> &str {
        self.key.split(':').nth(1).unwrap_or("")
    }
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn store_key(user_id: Uuid, secret: &str) -> String {
    format!("{}:{}", user_id.simple(), secret_hash(secret))
}

/// Starts a session; returns the cookie value. It counts as begun at `authenticated_at`, when
/// the password, code or provider was checked: a reset or disable committed after that check
/// (`sessions_valid_after`) voids it, however late the session itself is stored. Both times are
/// read off the database's clock ([`crate::db::Db::clock_now`]), so nodes whose clocks disagree
/// agree on the order.
pub async fn create(
    kv: &Kv,
    user_id: Uuid,
    user_agent: &str,
    ip: &str,
    medium: &str,
    authenticated_at: DateTime<Utc>,
) -> Result<(String, Session), KvError> {
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let record = SessionRecord {
        user_id,
        created_at: authenticated_at,
        last_seen_at: Utc::now(),
        user_agent: user_agent.chars().take(300).collect(),
        ip: ip.to_string(),
        medium: medium.to_string(),
    };
    let key = store_key(user_id, &secret);
    kv.set(Namespace::Sessions, &key, &record, Some(LIFETIME))
        .await?;
    let held = list(kv, user_id).await?;
    for stale in held.iter().skip(MAX_PER_USER).filter(|s| s.key != key) {
        kv.remove(Namespace::Sessions, &stale.key).await?;
    }
    Ok((
        format!("{}.{secret}", user_id.simple()),
        Session {
            key,
            record,
            extended: false,
        },
    ))
}

/// The store key of the session a well-formed cookie names.
fn key_of(cookie: &str) -> Option<String> {
    let (user, secret) = cookie.split_once('.')?;
    let (Ok(user_id), true) = (Uuid::parse_str(user), secret.len() == 64) else {
        return None;
    };
    Some(store_key(user_id, secret))
}

/// The live session a cookie names, refreshing its expiry now and then.
pub async fn resolve(kv: &Kv, cookie: &str) -> Result<Option<Session>, KvError> {
    let Some(key) = key_of(cookie) else {
        return Ok(None);
    };
    let Some(mut record) = kv.get::<SessionRecord>(Namespace::Sessions, &key).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let extended = now - record.last_seen_at > TOUCH_EVERY;
    if extended {
        record.last_seen_at = now;
        // Only while it still exists: a sign-out or revocation between the read and this write
        // must not be undone.
        if !kv
            .replace(Namespace::Sessions, &key, &record, Some(LIFETIME))
            .await?
        {
            return Ok(None);
        }
    }
    Ok(Some(Session {
        key,
        record,
        extended,
    }))
}

/// A user's live sessions, most recently used first.
pub async fn list(kv: &Kv, user_id: Uuid) -> Result<Vec<Session>, KvError> {
    let mut sessions: Vec<Session> = kv
        .scan_prefix::<SessionRecord>(Namespace::Sessions, &format!("{}:", user_id.simple()))
        .await?
        .into_iter()
        .map(|(key, record)| Session {
            key,
            record,
            extended: false,
        })
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.record.last_seen_at));
    Ok(sessions)
}

/// Ends one of the user's sessions by its public id; false when there was none.
pub async fn revoke(kv: &Kv, user_id: Uuid, session_id: &str) -> Result<bool, KvError> {
    if session_id.len() != 64 || !session_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    kv.remove(
        Namespace::Sessions,
        &format!("{}:{session_id}", user_id.simple()),
    )
    .await
}

pub async fn end(kv: &Kv, session: &Session) -> Result<(), KvError> {
    kv.remove(Namespace::Sessions, &session.key)
        .await
        .map(|_| ())
}

/// Ends the session a cookie names, if it is still live: signing in on a browser ends the
/// session it held before, which would otherwise stay valid, unseen, on a shared machine.
pub async fn end_cookie(kv: &Kv, cookie: &str) -> Result<(), KvError> {
    match key_of(cookie) {
        Some(key) => kv.remove(Namespace::Sessions, &key).await.map(|_| ()),
        None => Ok(()),
    }
}

/// Ends every session of a user (password reset, account disabled).
pub async fn end_all(kv: &Kv, user_id: Uuid) -> Result<u64, KvError> {
    kv.remove_prefix(Namespace::Sessions, &format!("{}:", user_id.simple()))
        .await
}
