//! Invitation mail and the queue: an invitation exists only with its queued mail, and mail for
//! an invitation no longer pending is dropped.

use std::time::Duration;

use plane_aio::jobs::StatusFilter;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    invitations::invite,
    on_both_engines,
    support::{Engine, TestApp, eventually},
};

on_both_engines!(
    an_invitation_whose_mail_cannot_be_queued_is_not_kept,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let instance_admin = app.admin().await;
        let _sink = app.with_mail(&instance_admin).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        refuse_jobs(&app, engine).await;

        let answer = owner
            .post(
                "/workspaces/acme/invitations/",
                json!({"email": "kim@example.com", "role": 15}),
            )
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.body),
            (
                500,
                json!({"error": "Something went wrong please try again later"})
            )
        );
        // Neither the admin nor the invitee finds an invitation without its mail.
        assert_eq!(
            owner.get("/workspaces/acme/invitations/").await.expect(200),
            json!([])
        );
        let kim = app.user("kim@example.com").await;
        let mine: Value = kim
            .get("/api/users/me/workspace-invitations/")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine, json!([]));
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

/// Makes every insert into the job queue fail, as a full disk or a lost queue would.
async fn refuse_jobs(app: &TestApp, engine: Engine) {
    match engine {
        Engine::Sqlite => {
            let pool = plane_aio::db::sqlite_pool(&app.data_dir.path().join("queue.db"), false)
                .await
                .unwrap();
            sea_orm::sqlx::query(
                "CREATE TRIGGER refuse_jobs BEFORE INSERT ON Jobs \
                 BEGIN SELECT RAISE(ABORT, 'the test refuses jobs'); END",
            )
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        Engine::Postgres => {
            app.state
                .db()
                .conn
                .execute_unprepared(
                    "CREATE FUNCTION apalis.refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'the test refuses jobs'; END $$; \
                     CREATE TRIGGER refuse_jobs BEFORE INSERT ON apalis.jobs \
                     FOR EACH ROW EXECUTE FUNCTION apalis.refuse_jobs();",
                )
                .await
                .unwrap();
        }
    }
}
