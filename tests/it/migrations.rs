//! Migrations are all-or-nothing on every engine: one interrupted (a full disk, a kill, a
//! statement the database refuses) leaves nothing of itself, and the next run applies it whole.

use plane_aio_migrations::{Migrator, MigratorTrait};

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        Engine, PgDatabase, TestApp, eventually, postgres,
        process::{self, Server},
    },
};

#[test]
fn every_migration_runs_in_one_transaction() {
    for migration in Migrator::migrations() {
        assert_eq!(
            migration.use_transaction(),
            Some(true),
            "{} must run in one transaction (SQLite is not wrapped by default)",
            migration.name()
        );
    }
}

/// The first column of `sql`'s rows.
fn texts(db: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut query = db.prepare(sql).unwrap();
    query
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn tables(db: &rusqlite::Connection) -> Vec<String> {
    texts(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
}

fn applied(db: &rusqlite::Connection) -> Vec<String> {
    texts(db, "SELECT version FROM seaql_migrations ORDER BY version")
}

#[test]
fn a_migration_cut_off_half_way_on_sqlite_leaves_nothing_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let data_arg = data.display().to_string();
    // The workspaces migration fails at its very end, when it is recorded as applied.
    let db = rusqlite::Connection::open(data.join("plane.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at bigint NOT NULL);
         CREATE TRIGGER cut_off BEFORE INSERT ON seaql_migrations
         WHEN NEW.version = 'm20261127_000001_workspaces'
         BEGIN SELECT RAISE(ABORT, 'the test cuts the migration off'); END;",
    )
    .unwrap();

    let failed = process::run(&["migrate", "--data-dir", &data_arg], &[], dir.path());
    assert!(!failed.status.success(), "{}", process::stdout(&failed));
    assert_eq!(
        applied(&db),
        ["m20261125_000001_foundation", "m20261126_000001_accounts"]
    );
    let after_failure = tables(&db);
    assert!(
        after_failure.contains(&"users".to_string()),
        "{after_failure:?}"
    );
    for table in ["workspaces", "projects", "states", "labels"] {
        assert!(
            !after_failure.contains(&table.to_string()),
            "{table} is left of the failed migration: {after_failure:?}"
        );
    }

    db.execute_batch("DROP TRIGGER cut_off").unwrap();
    let rerun = process::run(&["migrate", "--data-dir", &data_arg], &[], dir.path());
    assert!(rerun.status.success(), "{}", process::stderr(&rerun));
    assert_eq!(applied(&db).len(), Migrator::migrations().len());
    assert!(tables(&db).contains(&"workspaces".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_stopped_while_another_node_migrates_leaves_nothing_behind() {
    use sea_orm::sqlx::{Connection, postgres::PgConnection};
    if !postgres::available().await {
        return;
    }
    let pg = PgDatabase::create().await;
    // Another node holds the migration lock, as while it migrates.
    let mut other_node = PgConnection::connect(&pg.url).await.unwrap();
    sea_orm::sqlx::query("SELECT pg_advisory_lock(8100956956507859311)")
        .execute(&mut other_node)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let server = Server::spawn(
        &[
            "--data-dir",
            &data_arg,
            "--database-url",
            &pg.url,
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
        dir.path(),
    );
    eventually(
        Duration::from_secs(30),
        "the start waiting for the migration lock",
        || async {
            let mut probe = PgConnection::connect(&pg.url).await.ok()?;
            let waiting: i64 = sea_orm::sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .fetch_one(&mut probe)
            .await
            .ok()?;
            (waiting > 0).then_some(())
        },
    )
    .await;
    assert!(data.exists(), "the start had made its data folder");

    server.signal(libc::SIGTERM);
    let (status, log) = tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "a stop, not a failure: {log}");
    assert!(log.contains("stopped by a signal while starting"), "{log}");
    assert!(!log.lines().any(|l| l.starts_with("error: ")), "{log}");
    assert!(!data.exists(), "the data folder it made is gone");
}

/// Reverts `name` and every migration after it, as if the database were an older version's.
async fn undo_since(db: &sea_orm::DatabaseConnection, name: &str) {
    let steps = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"))
        + 1;
    Migrator::down(db, Some(steps as u32)).await.unwrap();
}

on_both_engines!(
    two_pending_invitations_an_older_version_left_become_one_and_then_stay_one,
    |engine: Engine| async move {
        use sea_orm::ConnectionTrait;
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        let invitations = "/workspaces/acme/invitations/";
        for email in ["first@example.com", "second@example.com"] {
            owner
                .post(invitations, json!({"email": email, "role": 15}))
                .await
                .expect(201);
        }
        // Before the index, two inviters at once could leave two pending invitations.
        let db = &app.state.db().conn;
        undo_since(db, "m20261129_000001_one_pending_invitation").await;
        let duplicate = "UPDATE workspace_member_invites SET email = 'first@example.com' \
                         WHERE email = 'second@example.com'";
        db.execute_unprepared(duplicate).await.unwrap();

        Migrator::up(db, None).await.unwrap();
        let listed = owner.get(invitations).await.expect(200);
        let emails: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["email"].as_str())
            .collect();
        assert_eq!(emails, ["first@example.com"], "{listed}");
        let refused = db
            .execute_unprepared(
                "UPDATE workspace_member_invites SET deleted_at = NULL \
                 WHERE email = 'first@example.com'",
            )
            .await
            .unwrap_err();
        assert!(plane_aio::db::is_unique_violation(&refused), "{refused}");
    }
);

on_both_engines!(
    a_reference_an_older_version_left_twice_stays_on_the_oldest_row_and_is_then_unique,
    |engine: Engine| async move {
        use sea_orm::ConnectionTrait;
        let app = TestApp::spawn(engine).await;
        let (ada, _, _, project) = crate::project_data::setup(&app).await;
        let states = format!("{project}/states/");
        let mut ids = Vec::new();
        for name in ["First", "Second"] {
            let body = json!({"name": name, "color": "#123",
                              "external_source": "jira", "external_id": name});
            ids.push(ada.post(&states, body).await.expect(200)["id"].clone());
        }
        // Back to the schema before the unique index, where two requests at once could leave
        // one reference on two states.
        let db = &app.state.db().conn;
        undo_since(db, "m20261130_000001_unique_external_refs").await;
        let duplicate = "UPDATE states SET external_id = 'First' WHERE name = 'Second'";
        db.execute_unprepared(duplicate).await.unwrap();

        Migrator::up(db, None).await.unwrap();
        let reference = |state: &Value| {
            (
                state["external_source"].clone(),
                state["external_id"].clone(),
            )
        };
        let first = ada
            .get(&format!("{states}{}/", ids[0].as_str().unwrap()))
            .await
            .expect(200);
        assert_eq!(reference(&first), (json!("jira"), json!("First")));
        let second = ada
            .get(&format!("{states}{}/", ids[1].as_str().unwrap()))
            .await
            .expect(200);
        assert_eq!(reference(&second), (Value::Null, Value::Null));
        // The database itself now refuses the reference twice.
        let refused = db
            .execute_unprepared(
                "UPDATE states SET external_source = 'jira', external_id = 'First' \
                 WHERE name = 'Second'",
            )
            .await
            .unwrap_err();
        assert!(plane_aio::db::is_unique_violation(&refused), "{refused}");
    }
);
