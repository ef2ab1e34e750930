//! A serving node's Postgres pool: connections kept open for bursts, and the rate-limit
//! counters' write committing without waiting for the disk while every other write still does.

use std::time::Duration;

use sea_orm::sqlx;

use crate::support::{Engine, TestApp, eventually, postgres};

/// Sessions the database has from anyone.
async fn sessions(app: &TestApp) -> i64 {
    let pg = app.pg.as_ref().expect("Postgres");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg.url)
        .await
        .expect("Postgres connection");
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await
    .expect("sessions");
    let _ = sqlx::Connection::close(conn).await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_node_keeps_connections_open_before_any_request() {
    if !postgres::available().await {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres).await;
    // Eight connections (db::POSTGRES_POOL_WARM), opened in the background at start.
    let open = eventually(
        Duration::from_secs(20),
        "the warm connections to open",
        || async {
            let open = sessions(&app).await;
            (open >= 8).then_some(open)
        },
    )
    .await;
    assert!(
        open <= 17,
        "{open} sessions: more than the pool's sixteen and one of the job queue's listener"
    );
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_rate_limit_write_skips_waiting_for_the_disk() {
    if !postgres::available().await {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres).await;
    let user = app.api_user("pool@example.com").await;
    // Each API request counts a hit through the asynchronous-commit statement.
    for _ in 0..20 {
        user.get("/users/me/").await.expect(200);
    }
    // Its setting was for its own transaction: every pooled connection still commits durably.
    let pool = app
        .state
        .db()
        .postgres_pool()
        .expect("a Postgres pool")
        .clone();
    let mut held = Vec::new();
    for _ in 0..pool.size() {
        let Some(mut conn) = pool.try_acquire() else {
            break;
        };
        let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&mut *conn)
            .await
            .expect("synchronous_commit");
        assert_eq!(setting, "on");
        held.push(conn);
    }
    assert!(!held.is_empty(), "no idle pooled connection to look at");
    drop(held);
    app.stop().await.unwrap();
}
