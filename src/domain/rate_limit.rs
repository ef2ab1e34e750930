//! Rate limits ("60/minute") counted in the key-value store, so in Postgres mode every node
//! counts the same hits. Fixed windows: the first hit opens a window, later hits in it add up.

use std::{str::FromStr, time::Duration};

use crate::kv::{Kv, KvError, Namespace};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u64,
    pub window: Duration,
}

impl Rate {
    pub const fn per_minute(count: u64) -> Rate {
        Rate {
            count,
            window: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.window.as_secs() {
            1 => "second",
            60 => "minute",
            3600 => "hour",
            _ => "day",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl FromStr for Rate {
    type Err = &'static str;

    /// `N/second`, `N/minute`, `N/hour` or `N/day` (also `s`, `m`/`min`, `h`, `d`), as Django.
    fn from_str(text: &str) -> Result<Rate, Self::Err> {
        const EXPECTED: &str = "a rate such as 60/minute, 1000/hour or 5/second";
        let (count, period) = text.trim().split_once('/').ok_or(EXPECTED)?;
        let count: u64 = count.trim().parse().map_err(|_| EXPECTED)?;
        if count == 0 {
            return Err(EXPECTED);
        }
        let seconds = match period.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(EXPECTED),
        };
        Ok(Rate {
            count,
            window: Duration::from_secs(seconds),
        })
    }
}

/// The outcome of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    /// Hits left in this window after this one.
    pub remaining: u64,
    /// Unix seconds at which the window ends.
    pub reset_at: i64,
    /// Seconds until then (at least 1).
    pub retry_after: u64,
}

/// Counts a hit on `bucket` and says whether it is within `rate`.
pub async fn hit(kv: &Kv, bucket: &str, rate: Rate) -> Result<Decision, KvError> {
    let counter = kv
        .increment(Namespace::RateLimits, bucket, rate.window)
        .await?;
    let now_ms = crate::kv::now_ms();
    let retry_after = ((counter.resets_at_ms - now_ms).max(0) as u64)
        .div_ceil(1000)
        .max(1);
    Ok(Decision {
        allowed: counter.count <= rate.count,
        limit: rate.count,
        remaining: rate.count.saturating_sub(counter.count),
        reset_at: counter.resets_at_ms.div_euclid(1000),
        retry_after,
    })
}

/// Repeated failed sign-ins lock an address for a while. Counted per address whether or not it
/// has an account, so the lock tells nothing about accounts; and per password: a new password
/// (a reset, a change, `admin reset-password`) or a disable starts a fresh count, because the
/// guesses were at the old one. The password is told apart by when the account's sessions were
/// last voided, a value every node reads from the database: no clocks are compared.
pub mod lockout {
    use super::*;

    /// Failed attempts before the lock.
    pub const MAX_FAILURES: u64 = 10;
    /// How long failures are remembered (and the lock lasts).
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// What the attempts are counted against: the address, and the account's password
    /// generation (`sessions_valid_after`; none for an unknown address or a first password).
    pub struct Subject(String);

    impl Subject {
        pub fn new(
            email: &str,
            password_generation: Option<chrono::DateTime<chrono::Utc>>,
        ) -> Self {
            let generation = password_generation.map_or(0, |at| at.timestamp_micros());
            Subject(format!("signin-failures:{email}:{generation}"))
        }
    }

    /// A locked address.
    pub struct Lock {
        /// Seconds until it unlocks (at least 1).
        pub retry_after: u64,
    }

    /// Counts an attempt at the password *before* it is checked, and refuses it once the
    /// subject has used up [`MAX_FAILURES`] attempts in the window: a burst of parallel guesses
    /// is counted as it arrives, instead of all passing a check made before any of them failed.
    /// A right password then [`clear`]s the count; a wrong one leaves it counted.
    pub async fn begin_attempt(kv: &Kv, subject: &Subject) -> Result<Result<(), Lock>, KvError> {
        let counter = kv
            .increment(Namespace::RateLimits, &subject.0, WINDOW)
            .await?;
        if counter.count <= MAX_FAILURES {
            return Ok(Ok(()));
        }
        let left_ms = (counter.resets_at_ms - crate::kv::now_ms()).max(0) as u64;
        Ok(Err(Lock {
            retry_after: left_ms.div_ceil(1000).max(1),
        }))
    }

    pub async fn clear(kv: &Kv, subject: &Subject) -> Result<(), KvError> {
        kv.remove(Namespace::RateLimits, &subject.0)
            .await
            .map(|_| ())
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_like_django() {
        assert_eq!("60/minute".parse(), Ok(Rate::per_minute(60)));
        assert_eq!("600/min".parse::<Rate>().unwrap().count, 600);
        assert_eq!(
            "5/s".parse::<Rate>().unwrap().window,
            Duration::from_secs(1)
        );
        assert_eq!(
            "100/hour".parse::<Rate>().unwrap().window,
            Duration::from_secs(3600)
        );
        assert!("0/minute".parse::<Rate>().is_err());
        assert!("many".parse::<Rate>().is_err());
        assert!("10/fortnight".parse::<Rate>().is_err());
    }
}
