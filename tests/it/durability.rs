//! What the client was told succeeded survives `kill -9`: rows written through the API, a
//! session, an API token, a sign-out (a revoked session stays revoked), and a requested
//! reset link (it is mailed after the restart), on both engines. And the server outlives its
//! database connections: those cut by Postgres are replaced.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        ADMIN_EMAIL, Engine, PASSWORD, TestApp,
        api::ApiClient,
        browser::Browser,
        client,
        node::Node,
        smtp::{Security, SinkOptions, SmtpSink},
    },
};

on_both_engines!(
    acknowledged_writes_survive_sigkill,
    |engine: Engine| async move {
        let node = Node::new(engine).await;
        let server = node.serve(&[], &[]);
        let admin = Browser::new(&server.url(""));
        let signed_up = admin
            .post(
                "/api/instances/admins/sign-up/",
                json!({"email": ADMIN_EMAIL, "password": PASSWORD, "first_name": "Ada"}),
            )
            .await;
        assert_eq!(signed_up.status(), StatusCode::OK);
        let token = admin
            .post("/api/users/api-tokens/", json!({"label": "kept"}))
            .await;
        assert_eq!(token.status(), StatusCode::CREATED);
        let token = token.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let workspace = admin
            .post(
                "/api/v1/workspaces/",
                json!({"name": "Durable", "slug": "durable"}),
            )
            .await;
        assert_eq!(workspace.status(), StatusCode::CREATED);
        let project = admin
            .post(
                "/api/v1/workspaces/durable/projects/",
                json!({"name": "Kept", "identifier": "KEPT"}),
            )
            .await;
        assert_eq!(project.status(), StatusCode::CREATED);
        let project: Value = project.json().await.unwrap();
        let renamed = admin
            .patch(
                &format!(
                    "/api/v1/workspaces/durable/projects/{}/",
                    project["id"].as_str().unwrap()
                ),
                json!({"name": "Kept and renamed"}),
            )
            .await;
        assert_eq!(renamed.status(), StatusCode::OK);
        let other = Browser::new(&server.url(""));
        assert_eq!(
            other.sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
            StatusCode::OK
        );
        let signed_out_cookie = other.cookie("session-id").unwrap();
        assert_eq!(
            other.post("/auth/sign-out/", json!({})).await.status(),
            StatusCode::NO_CONTENT
        );
        let kept_cookie = admin.cookie("session-id").unwrap();
        let sink = SmtpSink::start(SinkOptions {
            security: Security::Plain,
            credentials: None,
            tls: None,
        })
        .await;
        let configured = admin
            .patch(
                "/api/instances/configurations/",
                json!({
                    "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": sink.addr.port().to_string(),
                    "EMAIL_SECURITY": "none", "EMAIL_FROM": "plane@example.com",
                }),
            )
            .await;
        assert_eq!(configured.status(), StatusCode::OK);
        let asked = other
            .post("/auth/forgot-password/", json!({"email": ADMIN_EMAIL}))
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
        // The very moment the last answer arrived.
        server.kill9();

        let server = node.serve(&[], &[]);
        let listed = ApiClient::new(&server.url(""), &token)
            .get("/api/v1/workspaces/durable/projects/")
            .await
            .expect(200);
        assert_eq!(listed["total_count"], 1, "{listed}");
        assert_eq!(listed["results"][0]["identifier"], "KEPT");
        assert_eq!(listed["results"][0]["name"], "Kept and renamed");
        let http = client();
        let me = |cookie: String| {
            http.get(server.url("/api/users/me/"))
                .header("cookie", format!("session-id={cookie}"))
                .send()
        };
        assert_eq!(me(kept_cookie).await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            me(signed_out_cookie).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "a sign-out is not undone by the crash"
        );
        let mail = sink.wait_for(1).await;
        assert_eq!(mail.to, [ADMIN_EMAIL]);
        assert!(mail.decoded().contains("reset-password?token="));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_by_postgres_are_replaced() {
    if !crate::support::postgres::available().await {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres).await;
    let admin = app.admin().await;
    assert_eq!(admin.get("/api/users/me/").await.status(), StatusCode::OK);
    let cut = app.pg.as_ref().unwrap().terminate_connections().await;
    assert!(cut > 0, "the server had connections open");
    // Pooled connections idle for a second are checked before use, and replaced when dead.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..5 {
        assert_eq!(admin.get("/api/users/me/").await.status(), StatusCode::OK);
        assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    }
}
