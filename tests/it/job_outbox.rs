//! The job outbox's sweep: entries a writer left behind are queued once, young ones are left
//! to their writer, and ones this version cannot read stay without hiding the rest.

use std::time::Duration;

use plane_aio::{
    db,
    jobs::{Job, StatusFilter},
};
use uuid::Uuid;

use crate::{
    on_both_engines,
    support::{Engine, TestApp, eventually},
};

on_both_engines!(
    the_outbox_sweep_queues_old_entries_and_leaves_what_it_cannot_read,
    |engine: Engine| async move {
        // The test sweeps itself; the app's own sweep stays out of the way.
        let app = TestApp::spawn_with(engine, &[("cron_dispatch_outbox", "off")]).await;
        let db = app.state.db();
        let now = chrono::Utc::now();
        let probe = |probe_id| {
            plane_aio::jobs::outbox::entry(&Job::Probe {
                probe_id,
                fail_first: 0,
                hold_ms: 0,
            })
            .unwrap()
        };
        // As a newer version would write: a kind this one does not know.
        let unknown_kind = || db::job_outbox::OutboxEntry {
            id: Uuid::now_v7(),
            job: r#"{"kind":"a_later_kind"}"#.into(),
        };
        let write = |entry: &db::job_outbox::OutboxEntry, at| {
            db::job_outbox::add(&db.conn, entry.clone(), at)
        };
        let probe_id = Uuid::now_v7();
        let left = probe(probe_id);
        let newer = unknown_kind();
        let fresh = probe(Uuid::now_v7());
        let minute_ago = now - chrono::Duration::minutes(1);
        // More unreadable entries than a sweep reads at once, all older than the readable one:
        // they must not hide it.
        let mut unreadable = Vec::new();
        for _ in 0..plane_aio::jobs::outbox::SWEEP_BATCH {
            let entry = unknown_kind();
            write(&entry, minute_ago - chrono::Duration::minutes(1))
                .await
                .unwrap();
            unreadable.push(entry.id);
        }
        write(&left, minute_ago).await.unwrap();
        write(&newer, minute_ago).await.unwrap();
        unreadable.push(newer.id);
        // Young: most likely being moved by its writer right now.
        write(&fresh, now).await.unwrap();

        let swept = plane_aio::jobs::outbox::sweep(db, app.state.queue(), now)
            .await
            .unwrap();
        assert_eq!(
            swept,
            plane_aio::jobs::outbox::Swept {
                queued: 1,
                unreadable: plane_aio::jobs::outbox::SWEEP_BATCH + 1
            }
        );
        let waiting: Vec<Uuid> =
            db::job_outbox::written_before(db, now + chrono::Duration::hours(1), None, 1000)
                .await
                .unwrap()
                .into_iter()
                .map(|row| row.id)
                .collect();
        unreadable.push(fresh.id);
        assert_eq!(waiting, unreadable);
        // Moved again (its writer late, or a crash before the removal): still one job.
        plane_aio::jobs::outbox::forward(db, app.state.queue(), &left)
            .await
            .unwrap();
        eventually(
            Duration::from_secs(60),
            "the swept probe to run",
            || async {
                let runs = db::probes::runs(db, probe_id).await.unwrap();
                (!runs.is_empty()).then_some(())
            },
        )
        .await;
        let queued = app
            .state
            .queue()
            .list(StatusFilter::All, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|job| job.job["probe_id"] == probe_id.to_string())
            .count();
        assert_eq!(queued, 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(db::probes::runs(db, probe_id).await.unwrap().len(), 1);
    }
);
