//! The persistent job queue: jobs run, failing jobs are retried with backoff and end dead
//! (logged, listed, retryable), and a job enqueued before a SIGKILL runs exactly once after
//! the restart.

use std::time::Duration;

use plane_aio::{
    db,
    jobs::{Job, StatusFilter},
};
use uuid::Uuid;

use crate::{
    on_both_engines,
    support::{Engine, TestApp, eventually, node::Node, process},
};

/// Enqueues a probe that succeeds at once; its id.
async fn enqueue_probe(app: &TestApp) -> Uuid {
    let probe_id = Uuid::now_v7();
    app.state
        .queue()
        .enqueue(
            Job::Probe {
                probe_id,
                fail_first: 0,
                hold_ms: 0,
            },
            None,
        )
        .await
        .unwrap();
    probe_id
}

on_both_engines!(an_enqueued_job_runs_once, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let probe_id = enqueue_probe(&app).await;
    eventually(Duration::from_secs(60), "the probe to run", || async {
        let runs = db::probes::runs(app.state.db(), probe_id).await.unwrap();
        (!runs.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs = db::probes::runs(app.state.db(), probe_id).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].succeeded);
    let done = app
        .state
        .queue()
        .list(StatusFilter::Done, 10)
        .await
        .unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].job["probe_id"], probe_id.to_string());
});

on_both_engines!(
    workers_long_gone_are_forgotten_unless_a_job_names_them,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let queue = app.state.queue();
        queue
            .enqueue(
                Job::Probe {
                    probe_id: Uuid::now_v7(),
                    fail_first: 0,
                    hold_ms: 0,
                },
                None,
            )
            .await
            .unwrap();
        eventually(Duration::from_secs(30), "the probe done", || async {
            (queue.list(StatusFilter::Done, 1).await.unwrap().len() == 1).then_some(())
        })
        .await;
        // Two workers of earlier starts, unseen for two days, one of them named by the done
        // job; and one of another queue.
        let (sqlite, postgres) = (
            "INSERT INTO Workers (id, worker_type, storage_name, layers, last_seen) VALUES \
             ('gone-idle', 'plane', 's', '', strftime('%s', 'now') - 172800), \
             ('gone-named', 'plane', 's', '', strftime('%s', 'now') - 172800), \
             ('elsewhere', 'other', 's', '', strftime('%s', 'now') - 172800); \
             UPDATE Jobs SET lock_by = 'gone-named' WHERE status = 'Done'",
            "INSERT INTO apalis.workers (id, worker_type, storage_name, layers, last_seen) VALUES \
             ('gone-idle', 'plane', 's', '', now() - interval '2 days'), \
             ('gone-named', 'plane', 's', '', now() - interval '2 days'), \
             ('elsewhere', 'other', 's', '', now() - interval '2 days'); \
             UPDATE apalis.jobs SET lock_by = 'gone-named' WHERE status = 'Done'",
        );
        let queue_sql = |sql: &'static str| {
            let app = &app;
            async move {
                match engine {
                    Engine::Sqlite => {
                        let pool = db::sqlite_pool(&app.data_dir.path().join("queue.db"), false)
                            .await
                            .unwrap();
                        let ids: Vec<String> = sea_orm::sqlx::raw_sql(sql)
                            .fetch_all(&pool)
                            .await
                            .unwrap()
                            .iter()
                            .map(|row| sea_orm::sqlx::Row::get(row, 0))
                            .collect();
                        pool.close().await;
                        ids
                    }
                    Engine::Postgres => {
                        let pool = app.state.db().postgres_pool().unwrap();
                        sea_orm::sqlx::raw_sql(sql)
                            .fetch_all(pool)
                            .await
                            .unwrap()
                            .iter()
                            .map(|row| sea_orm::sqlx::Row::get(row, 0))
                            .collect()
                    }
                }
            }
        };
        queue_sql(if engine == Engine::Sqlite {
            sqlite
        } else {
            postgres
        })
        .await;
        let workers = || {
            queue_sql(if engine == Engine::Sqlite {
                "SELECT id FROM Workers ORDER BY id"
            } else {
                "SELECT id FROM apalis.workers ORDER BY id"
            })
        };
        assert_eq!(workers().await.len(), 4);

        let day_ago = chrono::Utc::now() - chrono::TimeDelta::days(1);
        assert_eq!(queue.purge_gone_workers(day_ago).await.unwrap(), 1);
        let left = workers().await;
        assert_eq!(left.len(), 3, "{left:?}");
        assert!(
            left.contains(&"gone-named".to_string()) && left.contains(&"elsewhere".to_string()),
            "the named one and the other queue's stay: {left:?}"
        );
        let live: Vec<_> = left
            .iter()
            .filter(|id| !["gone-named", "elsewhere"].contains(&id.as_str()))
            .collect();
        assert_eq!(live.len(), 1, "this node's worker stays: {left:?}");

        // Once the job is purged, nothing names the gone worker any more.
        let future = chrono::Utc::now() + chrono::TimeDelta::days(1);
        assert_eq!(queue.purge_finished(future, future).await.unwrap(), 1);
        assert_eq!(queue.purge_gone_workers(day_ago).await.unwrap(), 1);
        assert!(!workers().await.contains(&"gone-named".to_string()));
        app.stop().await.unwrap();
    }
);

on_both_engines!(
    finished_jobs_are_purged_and_waiting_ones_kept,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("job_max_attempts", "2")]).await;
        let queue = app.state.queue();
        let probe = |fail_first, delay| async move {
            queue
                .enqueue(
                    Job::Probe {
                        probe_id: Uuid::now_v7(),
                        fail_first,
                        hold_ms: 0,
                    },
                    delay,
                )
                .await
                .unwrap()
        };
        probe(0, None).await;
        probe(99, None).await;
        probe(0, Some(Duration::from_secs(3600))).await;
        eventually(
            Duration::from_secs(30),
            "one probe done, one dead",
            || async {
                let done = queue.list(StatusFilter::Done, 10).await.unwrap().len();
                let dead = queue.list(StatusFilter::Dead, 10).await.unwrap().len();
                (done == 1 && dead == 1).then_some(())
            },
        )
        .await;

        let now = chrono::Utc::now();
        let (past, future) = (
            now - chrono::TimeDelta::days(1),
            now + chrono::TimeDelta::days(1),
        );
        assert_eq!(
            queue.purge_finished(past, past).await.unwrap(),
            0,
            "finished just now: younger than the cut-offs"
        );
        assert_eq!(queue.purge_finished(future, past).await.unwrap(), 1);
        assert!(queue.list(StatusFilter::Done, 10).await.unwrap().is_empty());
        assert_eq!(
            queue.list(StatusFilter::Dead, 10).await.unwrap().len(),
            1,
            "dead jobs have their own cut-off"
        );
        assert_eq!(queue.purge_finished(future, future).await.unwrap(), 1);
        assert!(queue.list(StatusFilter::Dead, 10).await.unwrap().is_empty());
        assert_eq!(
            queue.list(StatusFilter::Pending, 10).await.unwrap().len(),
            1,
            "the delayed job waits on"
        );
    }
);

/// The probe id `doctor queue` printed.
fn probe_id(output: &std::process::Output) -> Uuid {
    let text = process::stdout(output);
    let id = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("probe id in {text:?} / {}", process::stderr(output)));
    Uuid::parse_str(id).unwrap()
}

/// The probe's job as `jobs list --status running` shows it, while a worker holds it.
fn running_job(node: &Node, env: &[(&str, &str)], probe_id: Uuid) -> Option<serde_json::Value> {
    let out = node.cli(&["jobs", "list", "--status", "running", "--json"], env);
    assert!(out.status.success(), "{}", process::stderr(&out));
    process::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|j| j["job"]["probe_id"] == probe_id.to_string())
}

/// Queues a probe held for `hold` and waits until a worker runs it; returns its id.
async fn start_held_probe(node: &Node, env: &[(&str, &str)], hold: &str) -> Uuid {
    let out = node.cli(&["doctor", "queue", "--hold", hold, "--no-wait"], env);
    assert!(out.status.success(), "{}", process::stderr(&out));
    let probe_id = probe_id(&out);
    eventually(
        Duration::from_secs(20),
        "the probe to be running",
        || async { running_job(node, env, probe_id).map(|_| ()) },
    )
    .await;
    probe_id
}

/// The probe's runs, once there are any.
async fn eventual_runs(node: &Node, probe_id: Uuid, what: &str) -> Vec<db::probes::ProbeRun> {
    eventually(Duration::from_secs(60), what, || async {
        let runs = probe_runs(node, probe_id).await;
        (!runs.is_empty()).then_some(runs)
    })
    .await
}

async fn probe_runs(node: &Node, probe_id: Uuid) -> Vec<db::probes::ProbeRun> {
    let db = node.database().await;
    let runs = db::probes::runs(&db, probe_id).await.unwrap();
    db.close().await;
    runs
}

on_both_engines!(
    a_job_enqueued_before_sigkill_runs_exactly_once_after_restart,
    |engine: Engine| async move {
        let node = Node::new(engine).await;
        let server = node.serve(&[], &[]);
        // Due in 10 s: the kill below surely comes first, even on a loaded machine.
        let out = node.cli(&["doctor", "queue", "--delay", "10s", "--no-wait"], &[]);
        assert!(out.status.success(), "{}", process::stderr(&out));
        let probe_id = probe_id(&out);
        server.kill9();
        assert!(
            probe_runs(&node, probe_id).await.is_empty(),
            "the job had not run before the kill"
        );

        let restarted = node.serve(&[], &[]);
        eventually(
            Duration::from_secs(20),
            "the probe to run after the restart",
            || async { (!probe_runs(&node, probe_id).await.is_empty()).then_some(()) },
        )
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let runs = probe_runs(&node, probe_id).await;
        assert_eq!(runs.len(), 1, "exactly once: {runs:?}");
        assert!(runs[0].succeeded);
        drop(restarted);
    }
);

on_both_engines!(
    a_job_outlasting_the_shutdown_budget_is_cut_off_and_runs_again_after_restart,
    |engine: Engine| async move {
        let node = Node::new(engine).await;
        let env = [
            ("PLANE_AIO_JOB_ORPHAN_TIMEOUT", "3s"),
            ("PLANE_AIO_SHUTDOWN_TIMEOUT", "1s"),
        ];
        let server = node.serve(&[], &env);
        // Held 6 s: longer than the 1 s the stop gives it.
        let probe_id = start_held_probe(&node, &env, "6s").await;
        server.signal(libc::SIGTERM);
        let (status, log) =
            tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(15)))
                .await
                .unwrap();
        assert_eq!(status.code(), Some(0), "a clean stop: {log}");
        assert!(log.contains("did not finish in time"), "{log}");
        assert!(
            probe_runs(&node, probe_id).await.is_empty(),
            "the stop cut the run off rather than wait for it"
        );

        let restarted = node.serve(&[], &env);
        let runs = eventual_runs(&node, probe_id, "the job to run again after the restart").await;
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(runs[0].succeeded);
        drop(restarted);
    }
);

on_both_engines!(
    a_job_cut_off_by_sigkill_is_taken_over_after_the_orphan_timeout,
    |engine: Engine| async move {
        let node = Node::new(engine).await;
        let env = [
            ("PLANE_AIO_JOB_ORPHAN_TIMEOUT", "3s"),
            ("PLANE_AIO_SHUTDOWN_TIMEOUT", "2s"),
        ];
        let server = node.serve(&[], &env);
        // Held 8 s: the kill below, right after the job is seen running, surely cuts it off.
        let probe_id = start_held_probe(&node, &env, "8s").await;
        server.kill9();
        assert!(
            probe_runs(&node, probe_id).await.is_empty(),
            "the kill cut the first attempt off"
        );
        assert!(
            running_job(&node, &env, probe_id).is_some(),
            "still held by the dead worker"
        );

        let restarted = node.serve(&[], &env);
        let runs = eventual_runs(
            &node,
            probe_id,
            "a live worker to take the job over and finish it",
        )
        .await;
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(runs[0].succeeded);
        assert_eq!(runs[0].attempt, 2, "the cut-off run counts as an attempt");
        // The worker marks the job done just after the probe records its run.
        eventually(Duration::from_secs(10), "the job to be done", || async {
            running_job(&node, &env, probe_id).is_none().then_some(())
        })
        .await;
        drop(restarted);
    }
);

on_both_engines!(
    a_job_that_keeps_failing_is_retried_then_dead,
    |engine: Engine| async move {
        let node = Node::new(engine).await;
        // The operator's configuration (here the environment) is shared by the server and the CLI.
        let env = [("PLANE_AIO_JOB_MAX_ATTEMPTS", "3")];
        let server = node.serve(&["--job-retry-backoff", "200ms"], &env);
        let out = node.cli(
            &["doctor", "queue", "--fail-first", "99", "--no-wait"],
            &env,
        );
        assert!(out.status.success(), "{}", process::stderr(&out));
        let probe_id = probe_id(&out);

        let runs = eventually(Duration::from_secs(60), "three failed attempts", || async {
            let runs = probe_runs(&node, probe_id).await;
            (runs.len() >= 3).then_some(runs)
        })
        .await;
        // Backoff: attempts are spaced by at least ~0.75 × 200ms, then ~0.75 × 400ms.
        let gaps: Vec<i64> = runs
            .windows(2)
            .map(|w| (w[1].ran_at - w[0].ran_at).num_milliseconds())
            .collect();
        assert!(gaps[0] >= 140 && gaps[1] >= 290, "backoff gaps {gaps:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            probe_runs(&node, probe_id).await.len(),
            3,
            "a dead job does not run again"
        );

        let dead = eventually(
            Duration::from_secs(10),
            "the job in the dead list",
            || async {
                let out = node.cli(&["jobs", "list", "--status", "dead", "--json"], &env);
                assert!(out.status.success(), "{}", process::stderr(&out));
                let text = process::stdout(&out);
                text.lines()
                    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                    .find(|j| j["job"]["probe_id"] == probe_id.to_string())
            },
        )
        .await;
        assert_eq!(dead["state"], "dead");
        assert_eq!(dead["attempts"], 3);
        assert!(
            server.log_text().contains("job is dead"),
            "the dead job is logged:\n{}",
            server.log_text()
        );

        // Retried by hand, it gets a fresh budget of attempts.
        let id = dead["id"].as_str().unwrap();
        let out = node.cli(&["jobs", "retry", id], &env);
        assert!(out.status.success(), "{}", process::stderr(&out));
        eventually(Duration::from_secs(20), "three more attempts", || async {
            (probe_runs(&node, probe_id).await.len() == 6).then_some(())
        })
        .await;
        let out = node.cli(&["jobs", "retry", "no-such-job"], &env);
        assert!(!out.status.success());
        assert!(
            process::stderr(&out).contains("no failed or dead job"),
            "{}",
            process::stderr(&out)
        );
    }
);

#[tokio::test]
async fn doctor_queue_confirms_a_running_server() {
    let node = Node::new(Engine::Sqlite).await;
    let _server = node.serve(&[], &[]);
    let out = node.cli(&["doctor", "queue", "--timeout", "20s"], &[]);
    assert!(
        out.status.success(),
        "{}\n{}",
        process::stdout(&out),
        process::stderr(&out)
    );
    assert!(
        process::stdout(&out).contains("queue works"),
        "{}",
        process::stdout(&out)
    );
}

/// Enqueues a probe and waits until it has run and is marked done.
async fn probe_runs_soon(app: &TestApp) {
    let probe_id = enqueue_probe(app).await;
    eventually(
        Duration::from_secs(60),
        "the probe to run and be done",
        || async {
            let done = app
                .state
                .queue()
                .list(StatusFilter::Done, 100)
                .await
                .unwrap();
            done.iter()
                .any(|job| job.job["probe_id"] == probe_id.to_string())
                .then_some(())
        },
    )
    .await;
}

on_both_engines!(
    a_worker_forgotten_while_its_node_slept_takes_jobs_again,
    |engine: Engine| async move {
        // Heartbeats every second.
        let app = TestApp::spawn_with(
            engine,
            &[("job_orphan_timeout", "3s"), ("shutdown_timeout", "2s")],
        )
        .await;
        // The worker is registered and working.
        probe_runs_soon(&app).await;
        // What another node's purge does to a node suspended for longer than a day (or this
        // node's own purge, the moment it wakes, before its heartbeat): its worker is forgotten.
        // (Its finished jobs, which name it, went before it.)
        let later = chrono::Utc::now() + chrono::Duration::days(1);
        let queue = app.state.queue();
        queue.purge_finished(later, later).await.unwrap();
        let forgotten = queue.purge_gone_workers(later).await.unwrap();
        assert!(forgotten >= 1, "no worker was registered");
        // Heartbeats of a forgotten worker find no registration; jobs must still run after them.
        tokio::time::sleep(Duration::from_secs(4)).await;
        probe_runs_soon(&app).await;
        // ...and the worker registered itself again (a failed heartbeat restarts it under a new
        // name), so if this node dies with jobs in hand, the other nodes can find and requeue
        // them (that requeue looks jobs' workers up in the registrations).
        let later = chrono::Utc::now() + chrono::Duration::days(1);
        queue.purge_finished(later, later).await.unwrap();
        let registered = queue.purge_gone_workers(later).await.unwrap();
        assert!(registered >= 1, "the worker did not register again");
    }
);
