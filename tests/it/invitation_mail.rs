//! Invitation mail and the queue: an invitation is stored with its mail job (the job outbox),
//! which reaches the queue even when the queue refused it at first, and mail for an invitation
//! no longer pending is dropped.

use std::time::Duration;

use plane_aio::jobs::StatusFilter;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{
    invitations::invite,
    on_both_engines,
    support::{Engine, TestApp, eventually},
};

on_both_engines!(
    an_invitation_whose_mail_the_queue_refused_is_mailed_later,
    |engine: Engine| async move {
        // The outbox is swept every second; an entry is swept once `SWEEP_AFTER` old.
        let app = TestApp::spawn_with(engine, &[("cron_dispatch_outbox", "* * * * * *")]).await;
        let instance_admin = app.admin().await;
        let sink = app.with_mail(&instance_admin).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        // With nothing waiting, the sweep's ticks pass without a claim or a record (a commit
        // each tick would empty SQLite's remembered reads).
        tokio::time::sleep(Duration::from_secs(2)).await;
        let runs = "SELECT COUNT(*) AS n FROM cron_runs WHERE job = 'dispatch_outbox'";
        assert_eq!(count(&app, runs).await, 0);
        // The state a process killed between the invitation's commit and the queueing of its
        // mail leaves, and the one a queue that cannot write leaves: invitation, no queued job.
        refuse_jobs(&app, engine).await;

        let invitation = owner
            .post(
                "/workspaces/acme/invitations/",
                json!({"email": "kim@example.com", "role": 15}),
            )
            .await
            .expect(201);
        let id = invitation["id"].as_str().unwrap().to_string();
        assert_eq!(
            owner.get("/workspaces/acme/invitations/").await.expect(200)[0]["id"],
            json!(id)
        );
        assert_eq!(outbox_entries(&app).await, 1);
        // While the queue refuses, the sweep keeps the mail (and says why in its run record).
        eventually(
            Duration::from_secs(30),
            "a sweep the queue refused",
            || async {
                let failed = count(
                    &app,
                    "SELECT COUNT(*) AS n FROM cron_runs \
                 WHERE job = 'dispatch_outbox' AND outcome = 'error'",
                )
                .await;
                (failed > 0).then_some(())
            },
        )
        .await;
        assert_eq!(outbox_entries(&app).await, 1);
        assert!(sink.messages().is_empty());

        allow_jobs(&app, engine).await;
        let mail = sink.wait_for(1).await;
        assert_eq!(mail.to, ["kim@example.com"]);
        assert!(
            mail.decoded()
                .contains(&format!("/invitations/{id}?token=")),
            "{}",
            mail.decoded()
        );
        eventually(Duration::from_secs(10), "the outbox to empty", || async {
            (outbox_entries(&app).await == 0).then_some(())
        })
        .await;
        // Mailed once: later sweeps find nothing more to queue.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(sink.messages().len(), 1);
    }
);

on_both_engines!(
    mail_for_an_invitation_no_longer_pending_is_not_sent,
    |engine: Engine| async move {
        // Retries come seconds apart, so invitations change while their mail waits for one.
        let app = TestApp::spawn_with(engine, &[("job_retry_backoff", "2s")]).await;
        let instance_admin = app.admin().await;
        let sink = app.with_mail(&instance_admin).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        app.workspace(&owner, "gone").await;
        // For now the mail port hangs up on every connection, so each delivery attempt fails
        // (and is counted). Each change below waits for the mail's first attempt: an attempt
        // that checked the invitation before the change may still deliver it (check, then send).
        let refusing = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let refusing_port = refusing.local_addr().unwrap().port();
        let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = attempts.clone();
        let hang_up = tokio::spawn(async move {
            while let Ok((conn, _)) = refusing.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(conn);
            }
        });
        let attempted = |n: usize| {
            let attempts = attempts.clone();
            async move {
                eventually(Duration::from_secs(30), "a delivery attempt", || async {
                    (attempts.load(std::sync::atomic::Ordering::SeqCst) >= n).then_some(())
                })
                .await
            }
        };
        app.configure(
            &instance_admin,
            json!({"EMAIL_PORT": refusing_port.to_string()}),
        )
        .await;

        let withdrawn = invite(&owner, "hal@example.com", 15).await;
        attempted(1).await;
        owner
            .delete(&format!(
                "/workspaces/acme/invitations/{}/",
                withdrawn["id"].as_str().unwrap()
            ))
            .await
            .expect(204);
        owner
            .post(
                "/workspaces/gone/invitations/",
                json!({"email": "ivy@example.com"}),
            )
            .await
            .expect(201);
        attempted(2).await;
        owner.delete("/workspaces/gone/").await.expect(204);
        invite(&owner, "jay@example.com", 5).await;

        // Delivery works again: only the pending invitation is mailed.
        app.configure(
            &instance_admin,
            json!({"EMAIL_PORT": sink.addr.port().to_string()}),
        )
        .await;
        assert_eq!(sink.wait_for(1).await.to, ["jay@example.com"]);
        eventually(
            Duration::from_secs(60),
            "the three mail jobs to finish",
            || async {
                let done = app
                    .state
                    .queue()
                    .list(StatusFilter::Done, 10)
                    .await
                    .unwrap();
                let mails = done.iter().filter(|j| j.job["kind"] == "send_mail");
                (mails.count() == 3).then_some(())
            },
        )
        .await;
        let sent: Vec<Vec<String>> = sink.messages().into_iter().map(|m| m.to).collect();
        assert_eq!(sent, [["jay@example.com"]]);
        hang_up.abort();
    }
);

async fn outbox_entries(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM job_outbox").await
}

/// The `n` column of the one row `sql` answers, on the app database.
async fn count(app: &TestApp, sql: &str) -> i64 {
    app.state
        .db()
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db().backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// Makes every insert into the job queue fail, as a full disk or a lost queue would.
async fn refuse_jobs(app: &TestApp, engine: Engine) {
    on_queue(
        app,
        engine,
        "CREATE TRIGGER refuse_jobs BEFORE INSERT ON Jobs \
         BEGIN SELECT RAISE(ABORT, 'the test refuses jobs'); END",
        "CREATE FUNCTION apalis.refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'the test refuses jobs'; END $$; \
         CREATE TRIGGER refuse_jobs BEFORE INSERT ON apalis.jobs \
         FOR EACH ROW EXECUTE FUNCTION apalis.refuse_jobs();",
    )
    .await;
}

/// Undoes [`refuse_jobs`].
async fn allow_jobs(app: &TestApp, engine: Engine) {
    on_queue(
        app,
        engine,
        "DROP TRIGGER refuse_jobs",
        "DROP TRIGGER refuse_jobs ON apalis.jobs",
    )
    .await;
}

/// Runs SQL on the job queue's database: `queue.db` in SQLite mode, the app database (schema
/// `apalis`) in Postgres mode.
async fn on_queue(app: &TestApp, engine: Engine, sqlite: &'static str, postgres: &str) {
    match engine {
        Engine::Sqlite => {
            let pool = plane_aio::db::sqlite_pool(&app.data_dir.path().join("queue.db"), false)
                .await
                .unwrap();
            sea_orm::sqlx::query(sqlite).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Engine::Postgres => {
            app.state
                .db()
                .conn
                .execute_unprepared(postgres)
                .await
                .unwrap();
        }
    }
}
