//! Passwords: strength rules (zxcvbn, as Plane) and argon2id hashing.

use std::sync::{Arc, OnceLock};

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 8;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("The password must be at least {MIN_LENGTH} characters long.")]
    TooShort,
    #[error("The password must be at most {MAX_LENGTH} characters long.")]
    TooLong,
    #[error("The password is too easy to guess. {0}")]
    Guessable(String),
}

/// Refuses passwords zxcvbn scores below 3 ("safely unguessable"), the bar Plane uses.
/// `user_inputs` (email, names) count as known words.
pub fn check_strength(password: &str, user_inputs: &[&str]) -> Result<(), WeakPassword> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(WeakPassword::TooLong);
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if (estimate.score() as u8) < 3 {
        let advice = estimate
            .feedback()
            .map(|f| {
                let mut parts: Vec<String> = Vec::new();
                if let Some(w) = f.warning() {
                    parts.push(w.to_string());
                }
                parts.extend(f.suggestions().iter().map(|s| s.to_string()));
                parts.join(" ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "Use a longer mix of unrelated words.".to_string());
        return Err(WeakPassword::Guessable(advice));
    }
    Ok(())
}

/// The work of [`hash`], on the calling thread.
fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// The work of [`verify`], on the calling thread.
fn verify_now(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashing and verifying cost tens of milliseconds of CPU each: they run on the blocking pool,
/// at most one per core at a time, so a burst of sign-ins queues here instead of taking every
/// thread (of the runtime or of the blocking pool) from other requests.
fn hashing_slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Semaphore::new(cores))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Argon2(argon2::password_hash::Error),
    #[error("the password hashing task did not finish: {0}")]
    Task(String),
}

/// Runs `work` on the blocking pool once a hashing slot is free. The slot is held by the work
/// itself, so a request that goes away while it runs does not free the slot early.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let slot = hashing_slots()
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| HashError::Task(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(slot);
        out
    })
    .await
    .map_err(|e| HashError::Task(e.to_string()))
}

/// argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommendation).
pub async fn hash(password: &str) -> Result<String, HashError> {
    let password = password.to_string();
    off_runtime(move || hash_now(&password))
        .await?
        .map_err(HashError::Argon2)
}

/// True when `password` matches `phc`. A malformed stored hash never matches, nor does a
/// check that could not run.
pub async fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    off_runtime(move || verify_now(&password, &phc))
        .await
        .unwrap_or(false)
}

/// Spends the same time as a real verification, for sign-ins of unknown accounts, so timing
/// does not tell whether an email has an account.
pub async fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let password = password.to_string();
    let _ = off_runtime(move || {
        let phc = DUMMY.get_or_init(|| hash_now("plane-aio timing equaliser").unwrap_or_default());
        verify_now(&password, phc)
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery staple").await.unwrap();
        let b = hash("correct horse battery staple").await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &a).await);
        assert!(!verify("wrong", &a).await);
        assert!(!verify("x", "not a hash").await);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_runtime_free() {
        // On a one-thread runtime: were the hash computed in the task, it would be done before
        // the timer could fire.
        let hashing = hash("correct horse battery staple");
        tokio::pin!(hashing);
        tokio::select! {
            biased;
            _ = &mut hashing => panic!("the hash ran on the runtime's thread"),
            _ = tokio::time::sleep(std::time::Duration::from_millis(1)) => {}
        }
        assert!(hashing.await.is_ok());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(check_strength("short", &[]), Err(WeakPassword::TooShort));
        assert!(matches!(
            check_strength("password123", &[]),
            Err(WeakPassword::Guessable(_))
        ));
        assert!(check_strength("alice@example.com1", &["alice@example.com"]).is_err());
        assert!(check_strength("orbit-velvet-cactus-91", &[]).is_ok());
    }
}
