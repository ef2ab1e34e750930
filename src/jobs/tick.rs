//! The queue's polling timer.
//!
//! apalis' `IntervalStrategy` replaces its timer when it fires without polling the new one, so
//! nothing is armed until the worker happens to be polled again; when the fetch that follows
//! comes back empty the worker can sleep until its next heartbeat (seen: a due job left waiting
//! for more than 20 s). [`Tick`] re-arms its timer before reporting a tick, so the worker is
//! always woken again one period later.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::time::{Instant, Sleep};

pub struct Tick {
    period: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl Tick {
    /// Must be called inside the Tokio runtime (the worker's task).
    pub fn every(period: Duration) -> Tick {
        Tick {
            period,
            sleep: Box::pin(tokio::time::sleep(period)),
        }
    }
}

impl PollStrategy for Tick {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut fired = false;
        // Re-arm and poll again until the timer is pending, which registers the waker.
        while self.sleep.as_mut().poll(cx).is_ready() {
            fired = true;
            let next = Instant::now() + self.period;
            self.sleep.as_mut().reset(next);
        }
        if fired {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a tick the timer is armed again: the task is woken one period later without
    /// anything else polling it.
    #[tokio::test]
    async fn a_tick_leaves_the_timer_armed() {
        let mut tick = Tick::every(Duration::from_millis(20));
        let snapshot = PollSnapshot::default();
        let mut ticks = 0;
        let ticking = std::future::poll_fn(|cx| match tick.poll_drive(cx, &snapshot) {
            Poll::Ready(_) => {
                ticks += 1;
                if ticks == 3 {
                    Poll::Ready(())
                } else {
                    // Only the strategy can wake us from here.
                    Poll::Pending
                }
            }
            Poll::Pending => Poll::Pending,
        });
        tokio::time::timeout(Duration::from_secs(2), ticking)
            .await
            .expect("the timer wakes the task on its own");
        assert_eq!(ticks, 3);
    }
}
