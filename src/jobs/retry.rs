//! Retry policy: exponential backoff with jitter, then the dead state.

use std::time::Duration;

use apalis::layers::retry::Policy;
use apalis::prelude::{Task, WorkerContext};
use rand::Rng;

/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct Backoff {
    /// For jobs stored without their own limit.
    max_attempts: usize,
    base: Duration,
}

impl Backoff {
    pub fn new(max_attempts: u32, base: Duration) -> Backoff {
        Backoff {
            max_attempts: max_attempts.max(1) as usize,
            base,
        }
    }

    /// Wait before the attempt after `attempt` (1-based): base × 2^(attempt-1), capped, with
    /// ±25% jitter so a burst of failures does not retry in lockstep.
    pub fn delay(&self, attempt: usize) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20) as u32;
        let delay = self
            .base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(MAX_DELAY);
        let jitter = rand::rng().random_range(0.75..=1.25);
        delay.mul_f64(jitter)
    }
}

impl<T: Clone, Res, Err> Policy<Task<T>, Res, Err> for Backoff {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, task: &mut Task<T>, result: &mut Result<Res, Err>) -> Option<Self::Future> {
        if result.is_ok() {
            return None;
        }
        let stopping = task
            .data()
            .get::<WorkerContext>()
            .is_none_or(|worker| worker.is_shutting_down());
        let attempt = task.attempt();
        let id = task
            .ctx()
            .task_id()
            .map(|id| id.to_string())
            .unwrap_or_default();
        // The limit stored with the job wins: the queue re-offers a failed job while its stored
        // attempts are below it, so both must agree on when it is dead.
        let max_attempts = task.max_attempts().unwrap_or(self.max_attempts);
        if attempt >= max_attempts {
            tracing::error!(job_id = %id, attempts = attempt, "job is dead: it failed on every attempt; `plane-aio jobs list --status dead` shows it");
            return None;
        }
        if stopping {
            // Left as failed; the queue hands it out again after the restart.
            return None;
        }
        let delay = self.delay(attempt);
        tracing::info!(job_id = %id, attempt, retry_in_ms = delay.as_millis() as u64, "job will be retried");
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, task: &Task<T>) -> Option<Task<T>> {
        Some(task.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_are_capped() {
        let b = Backoff::new(10, Duration::from_secs(10));
        let first = b.delay(1);
        assert!(
            first >= Duration::from_millis(7500) && first <= Duration::from_millis(12500),
            "{first:?}"
        );
        let third = b.delay(3);
        assert!(
            third >= Duration::from_secs(30) && third <= Duration::from_secs(50),
            "{third:?}"
        );
        assert!(b.delay(30) <= MAX_DELAY.mul_f64(1.25));
    }
}
