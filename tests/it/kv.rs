//! The key-value store on both backends (fjall for SQLite, the shared table for Postgres), the
//! cron purge of expired entries, and two nodes agreeing through Postgres.

use std::time::Duration;

use plane_aio::kv::Namespace;

use crate::{
    on_both_engines,
    support::{Engine, TestApp, eventually, postgres},
};

on_both_engines!(
    replace_changes_only_a_live_entry,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let kv = app.state.kv();
        let ttl = Some(Duration::from_secs(60));
        // Nothing there: nothing is created.
        assert!(
            !kv.replace(Namespace::Sessions, "r1", &1, ttl)
                .await
                .unwrap()
        );
        assert_eq!(
            kv.get::<i32>(Namespace::Sessions, "r1").await.unwrap(),
            None
        );
        kv.set(Namespace::Sessions, "r1", &1, ttl).await.unwrap();
        assert!(
            kv.replace(Namespace::Sessions, "r1", &2, ttl)
                .await
                .unwrap()
        );
        assert_eq!(
            kv.get::<i32>(Namespace::Sessions, "r1").await.unwrap(),
            Some(2)
        );
        // Removed (a revoked session): a late replacement does not bring it back.
        assert!(kv.remove(Namespace::Sessions, "r1").await.unwrap());
        assert!(
            !kv.replace(Namespace::Sessions, "r1", &3, ttl)
                .await
                .unwrap()
        );
        assert_eq!(
            kv.get::<i32>(Namespace::Sessions, "r1").await.unwrap(),
            None
        );
        // Expired: not revived either.
        kv.set(
            Namespace::Sessions,
            "r2",
            &1,
            Some(Duration::from_millis(200)),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !kv.replace(Namespace::Sessions, "r2", &2, ttl)
                .await
                .unwrap()
        );
        assert_eq!(
            kv.get::<i32>(Namespace::Sessions, "r2").await.unwrap(),
            None
        );
    }
);

on_both_engines!(values_round_trip_and_expire, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let kv = app.state.kv();
    kv.set(
        Namespace::Sessions,
        "s1",
        &serde_json::json!({"user": "u1"}),
        None,
    )
    .await
    .unwrap();
    kv.set(
        Namespace::Sessions,
        "short",
        &"bye",
        Some(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let got: Option<serde_json::Value> = kv.get(Namespace::Sessions, "s1").await.unwrap();
    assert_eq!(got, Some(serde_json::json!({"user": "u1"})));
    assert_eq!(
        kv.get::<String>(Namespace::Sessions, "short")
            .await
            .unwrap()
            .as_deref(),
        Some("bye")
    );
    // Namespaces are separate.
    assert_eq!(
        kv.get::<serde_json::Value>(Namespace::Cache, "s1")
            .await
            .unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        kv.get::<String>(Namespace::Sessions, "short")
            .await
            .unwrap(),
        None,
        "expired on read"
    );
    assert!(kv.remove(Namespace::Sessions, "s1").await.unwrap());
    assert!(!kv.remove(Namespace::Sessions, "s1").await.unwrap());
    assert_eq!(
        kv.get::<serde_json::Value>(Namespace::Sessions, "s1")
            .await
            .unwrap(),
        None
    );
});

on_both_engines!(
    counters_are_atomic_under_concurrency,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let hits = (0..50).map(|_| {
            let kv = app.state.kv().clone();
            tokio::spawn(async move {
                kv.increment(Namespace::RateLimits, "token:a", Duration::from_secs(60))
                    .await
                    .unwrap()
            })
        });
        let mut counts: Vec<u64> = futures_util::future::join_all(hits)
            .await
            .into_iter()
            .map(|r| r.unwrap().count)
            .collect();
        counts.sort();
        assert_eq!(
            counts,
            (1..=50).collect::<Vec<u64>>(),
            "every hit counted once"
        );
        let window = app
            .state
            .kv()
            .increment(Namespace::RateLimits, "token:b", Duration::from_millis(200))
            .await
            .unwrap();
        assert_eq!(window.count, 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let next = app
            .state
            .kv()
            .increment(Namespace::RateLimits, "token:b", Duration::from_millis(200))
            .await
            .unwrap();
        assert_eq!(next.count, 1, "a new window starts after the old one ends");
        assert!(next.resets_at_ms > window.resets_at_ms);
    }
);

on_both_engines!(
    cron_purges_expired_entries_and_records_the_run,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("cron_purge_expired", "*/2 * * * * *")]).await;
        let kv = app.state.kv();
        let written_at = chrono::Utc::now();
        for i in 0..5 {
            kv.set(
                Namespace::Sessions,
                &format!("old{i}"),
                &i,
                Some(Duration::from_millis(10)),
            )
            .await
            .unwrap();
        }
        kv.set(Namespace::Sessions, "keep", &"me", None)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stored = kv.stored_entries().await.unwrap();
        // Unless a tick happened to land in those 50 ms, nothing has removed them yet.
        let purged_meanwhile =
            plane_aio::db::cron_runs::recent(app.state.db(), "purge_expired", 10)
                .await
                .unwrap()
                .iter()
                .any(|run| run.started_at >= written_at - chrono::TimeDelta::seconds(1));
        assert!(
            stored == 6 || purged_meanwhile,
            "expired entries are still stored until purged: {stored}"
        );
        eventually(
            Duration::from_secs(10),
            "the purge job to remove expired entries",
            || async { (kv.stored_entries().await.unwrap() == 1).then_some(()) },
        )
        .await;
        assert_eq!(
            kv.get::<String>(Namespace::Sessions, "keep")
                .await
                .unwrap()
                .as_deref(),
            Some("me")
        );
        let runs = eventually(Duration::from_secs(5), "a finished cron run", || async {
            let runs = plane_aio::db::cron_runs::recent(app.state.db(), "purge_expired", 10)
                .await
                .unwrap();
            runs.iter()
                .any(|r| r.outcome.as_deref() == Some("ok"))
                .then_some(runs)
        })
        .await;
        let run = runs
            .iter()
            .find(|r| r.outcome.as_deref() == Some("ok"))
            .unwrap();
        assert!(run.duration_ms.is_some() && run.finished_at.is_some());
        assert_eq!(
            run.tick_at.timestamp() % 2,
            0,
            "ticks are the schedule's occurrences"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_share_sessions_and_counters() {
    if !postgres::available().await {
        return;
    }
    let a = TestApp::spawn(Engine::Postgres).await;
    let url = a.pg.as_ref().unwrap().url.clone();
    let b = TestApp::spawn_with(Engine::Sqlite, &[("database_url", &url)]).await;
    a.state
        .kv()
        .set(Namespace::Sessions, "shared", &"from a", None)
        .await
        .unwrap();
    assert_eq!(
        b.state
            .kv()
            .get::<String>(Namespace::Sessions, "shared")
            .await
            .unwrap()
            .as_deref(),
        Some("from a")
    );
    assert!(
        b.state
            .kv()
            .remove(Namespace::Sessions, "shared")
            .await
            .unwrap()
    );
    assert_eq!(
        a.state
            .kv()
            .get::<String>(Namespace::Sessions, "shared")
            .await
            .unwrap(),
        None,
        "revocation is seen by every node"
    );
    a.state
        .kv()
        .increment(Namespace::RateLimits, "t", Duration::from_secs(60))
        .await
        .unwrap();
    let second = b
        .state
        .kv()
        .increment(Namespace::RateLimits, "t", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(second.count, 2);

    // Both nodes hitting several counters at once (each node writes its queued hits in one
    // statement): every hit gets its own place in its counter's count.
    const KEYS: [&str; 3] = ["x", "y", "z"];
    let hits = [&a, &b].into_iter().flat_map(|node| {
        KEYS.iter().flat_map(move |key| {
            (0..30).map(move |_| {
                let kv = node.state.kv().clone();
                tokio::spawn(async move {
                    let hit = kv
                        .increment(Namespace::RateLimits, key, Duration::from_secs(60))
                        .await
                        .unwrap();
                    (key, hit.count)
                })
            })
        })
    });
    let mut counts: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for hit in futures_util::future::join_all(hits).await {
        let (key, count) = hit.unwrap();
        counts.entry(key).or_default().push(count);
    }
    for key in KEYS {
        let mut seen = counts.remove(key).unwrap();
        seen.sort();
        assert_eq!(seen, (1..=60).collect::<Vec<u64>>(), "counter {key}");
    }
}
