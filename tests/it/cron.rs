//! Scheduled jobs across nodes: two server processes on one Postgres each run the scheduler,
//! and every tick runs on exactly one of them.

use std::{collections::BTreeMap, time::Duration};

use crate::support::{PgDatabase, postgres, process::Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tick_runs_once_across_two_nodes() {
    if !postgres::available().await {
        return;
    }
    let pg = PgDatabase::create().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let nodes: Vec<Server> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let data = dir.path().join("data").display().to_string();
            let name = format!("node-{i}");
            Server::start(
                &[
                    "--data-dir",
                    &data,
                    "--database-url",
                    &pg.url,
                    "--listen",
                    "127.0.0.1:0",
                    "--node-name",
                    &name,
                    "--cron-purge-expired",
                    "*/2 * * * * *",
                ],
                &[],
                dir.path(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(11)).await;

    // job and tick → nodes that ran it
    let mut ran: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut skipped = 0;
    for node in &nodes {
        for event in node.events("cron job ran") {
            assert_eq!(event["outcome"], "ok", "{event}");
            // Per job and tick: two jobs may share a tick time (both at second :00).
            ran.entry(format!(
                "{} {}",
                event["job"].as_str().unwrap(),
                event["tick_at"].as_str().unwrap()
            ))
            .or_default()
            .push(event["node"].as_str().unwrap().to_string());
        }
        skipped += node.events("cron tick already taken by another node").len();
    }
    let logs = || {
        nodes
            .iter()
            .map(Server::log_text)
            .collect::<Vec<_>>()
            .join("\n----\n")
    };
    assert!(
        ran.len() >= 4,
        "expected at least 4 ticks in 11 s, got {ran:?}\n{}",
        logs()
    );
    for (tick, runners) in &ran {
        assert_eq!(runners.len(), 1, "tick {tick} ran on {runners:?}");
    }
    assert!(
        skipped >= 2,
        "both nodes were ticking: {skipped} skips for {} ticks\n{}",
        ran.len(),
        logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_on_a_new_database_all_come_up() {
    if !postgres::available().await {
        return;
    }
    // A scaled-out deploy: every node migrates the empty database at the same moment.
    let pg = PgDatabase::create().await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes: Vec<Server> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let data = dir.path().join("data").display().to_string();
            let name = format!("node-{i}");
            Server::spawn(
                &[
                    "--data-dir",
                    &data,
                    "--database-url",
                    &pg.url,
                    "--listen",
                    "127.0.0.1:0",
                    "--node-name",
                    &name,
                ],
                &[],
                dir.path(),
            )
        })
        .collect();
    let client = crate::support::client();
    for node in &mut nodes {
        node.addr = Some(node.wait_listening(Duration::from_secs(60)));
        let ready = client.get(node.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200, "{}", node.log_text());
    }
}
