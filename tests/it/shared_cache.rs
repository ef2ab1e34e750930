//! Nodes on one Postgres keep read answers in memory (src/db/memo.rs) until the shared change
//! counter moves (src/db/change_watch.rs): a write made through any node is seen by the very
//! next request on every other one, while a node hammered with reads keeps answering from memory.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use sea_orm::sqlx::{self, Connection, PgConnection};
use serde_json::{Value, json};

use crate::support::{Engine, TestApp, api::ApiClient, postgres};

async fn connect(app: &TestApp) -> PgConnection {
    PgConnection::connect(&app.pg.as_ref().expect("Postgres").url)
        .await
        .expect("Postgres connection")
}

async fn change_version(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(version), 0)::bigint FROM change_counters")
        .fetch_one(conn)
        .await
        .expect("change counter")
}

fn label_names(list: &Value) -> BTreeSet<String> {
    list["results"]
        .as_array()
        .expect("a page of labels")
        .iter()
        .map(|label| label["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_but_bookkeeping_moves_the_change_counter() {
    if !postgres::available().await {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres).await;
    let mut conn = connect(&app).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let watched: BTreeSet<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE t.tgname = c.relname || '_note_change'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let unwatched: Vec<&String> = tables
        .iter()
        .filter(|table| {
            !watched.contains(*table)
                && !plane_aio_migrations::UNWATCHED_TABLES.contains(&table.as_str())
        })
        .collect();
    assert!(
        unwatched.is_empty(),
        "tables whose writes would not reach the nodes' caches: {unwatched:?} \
         (watch them with plane_aio_migrations::watch_table)"
    );
    assert!(watched.contains("projects") && watched.len() >= 14);

    let owner = app.api_user("owner@example.com").await;
    let before = change_version(&mut conn).await;
    app.workspace(&owner, "acme").await;
    let after_workspace = change_version(&mut conn).await;
    assert!(after_workspace > before, "a committed write moves it");
    // A rate-limit hit (every API request makes one) does not.
    owner.get("/users/me/").await.expect(200);
    assert_eq!(change_version(&mut conn).await, after_workspace);
    // Neither does a write that is rolled back.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("UPDATE workspaces SET name = 'Gone'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(change_version(&mut conn).await, after_workspace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_node_is_seen_at_once_by_another_under_load() {
    if !postgres::available().await {
        return;
    }
    let a = TestApp::spawn(Engine::Postgres).await;
    let url = a.pg.as_ref().unwrap().url.clone();
    let b = TestApp::spawn_with(Engine::Sqlite, &[("database_url", &url)]).await;
    let on_a = a.api_user("owner@example.com").await;
    let on_b = ApiClient::new(&b.url("/api/v1"), &on_a.token);
    a.workspace(&on_a, "acme").await;
    let project = a.project(&on_a, "acme", "WEB").await;
    let labels = format!(
        "/workspaces/acme/projects/{}/labels/",
        project["id"].as_str().unwrap()
    );

    // Node A serves the list from memory: a change made behind the counter's back (triggers
    // off, as a replica applies rows) stays unseen, while a counted one is seen at once.
    let first = on_b
        .post(&labels, json!({"name": "first"}))
        .await
        .expect(201);
    assert_eq!(
        label_names(&on_a.get(&labels).await.expect(200)),
        ["first".to_string()].into()
    );
    let mut conn = connect(&a).await;
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE labels SET name = 'renamed quietly' WHERE id = $1::uuid")
        .bind(first["id"].as_str().unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        label_names(&on_a.get(&labels).await.expect(200)),
        ["first".to_string()].into(),
        "node A answered from the database, not from memory"
    );
    on_b.post(&labels, json!({"name": "second"}))
        .await
        .expect(201);
    assert_eq!(
        label_names(&on_a.get(&labels).await.expect(200)),
        ["renamed quietly".to_string(), "second".to_string()].into()
    );

    // Readers keep node A's counter readings in flight all the time; each write made through
    // node B is still in node A's very next answer.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..6)
        .map(|_| {
            let (client, labels, stop) = (on_a.clone(), labels.clone(), stop.clone());
            tokio::spawn(async move {
                let mut served = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    client.get(&labels).await.expect(200);
                    served += 1;
                }
                served
            })
        })
        .collect();
    for i in 0..25 {
        let name = format!("label {i}");
        on_b.post(&labels, json!({"name": name})).await.expect(201);
        let seen = label_names(
            &on_a
                .get(&format!("{labels}?per_page=100"))
                .await
                .expect(200),
        );
        assert!(seen.contains(&name), "write {i} unseen by node A: {seen:?}");
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }

    // A token revoked through node B is refused by node A on the next request.
    let user_id = on_a.user_id.parse().unwrap();
    let tokens = plane_aio::db::api_tokens::for_user(b.state.db(), user_id)
        .await
        .unwrap();
    for token in tokens {
        plane_aio::db::api_tokens::revoke(b.state.db(), token.id, None)
            .await
            .unwrap();
    }
    assert_eq!(
        on_a.get("/users/me/").await.expect(403),
        json!({"detail": "Given API token is not valid"})
    );
}
