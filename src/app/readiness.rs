//! Whether this node's parts answer: the database, key-value store, file storage and job queue.
//!
//! `/readyz` is anonymous and never throttled (load balancers and container runtimes poll it),
//! while one check writes a key-value entry and queries the database, storage and queue. So the
//! parts are checked at most once per [`FRESH_FOR`] however many probes arrive: probes that come
//! while a check runs wait for it and share its answer, so a flood of probes cannot become a
//! flood of writes. A second is short enough for a load balancer to see an outage at once.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use super::AppState;

/// How long one check's answer is reused.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Longest a single part's check may take before it counts as failing.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// One part's answer.
#[derive(Debug, Clone)]
pub struct PartCheck {
    /// Why the part failed; `None` when it answered.
    pub error: Option<String>,
    pub latency: Duration,
}

/// Every part's answer, from one check.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub checked_at: DateTime<Utc>,
    /// By part name: `database`, `kv`, `storage`, `queue`.
    pub checks: BTreeMap<&'static str, PartCheck>,
}

impl Readiness {
    /// Names of the parts that failed, in name order.
    pub fn failing(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|(_, check)| check.error.is_some())
            .map(|(name, _)| *name)
            .collect()
    }
}

/// The last check and when it finished; the lock is held while a check runs.
#[derive(Default)]
pub struct ReadinessProbe(tokio::sync::Mutex<Option<(Instant, Arc<Readiness>)>>);

impl ReadinessProbe {
    /// The parts' state, checked now unless a check finished less than [`FRESH_FOR`] ago.
    pub async fn current(&self, state: &AppState) -> Arc<Readiness> {
        let mut last = self.0.lock().await;
        if let Some((finished, readiness)) = last.as_ref()
            && finished.elapsed() < FRESH_FOR
        {
            return readiness.clone();
        }
        let readiness = Arc::new(check_parts(state).await);
        *last = Some((Instant::now(), readiness.clone()));
        readiness
    }
}

async fn check_parts(state: &AppState) -> Readiness {
    let checked_at = Utc::now();
    let (database, kv, storage, queue) = tokio::join!(
        check(state.db().ping()),
        check(state.kv().ping()),
        check(state.storage().check()),
        check(state.queue().ping()),
    );
    let readiness = Readiness {
        checked_at,
        checks: BTreeMap::from([
            ("database", database),
            ("kv", kv),
            ("storage", storage),
            ("queue", queue),
        ]),
    };
    for name in readiness.failing() {
        tracing::warn!(check = name, error = ?readiness.checks[name].error, "readiness check failed");
    }
    readiness
}

async fn check<F, E>(fut: F) -> PartCheck
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let started = Instant::now();
    let error = match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())),
    };
    PartCheck {
        error,
        latency: started.elapsed(),
    }
}
