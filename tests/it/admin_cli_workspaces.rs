//! `plane-aio admin create-workspace` against a running server, on SQLite and on Postgres.

use crate::{
    admin_cli::{admin_cli, failure},
    on_both_engines,
    support::{Engine, TestApp, process},
};

on_both_engines!(
    workspaces_are_created_from_the_shell,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let out = admin_cli(
            &app,
            &[
                "create-workspace",
                "--name",
                "Acme",
                "--slug",
                "acme",
                "--owner",
                "Owner@Example.com",
            ],
            None,
        )
        .await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        assert!(process::stdout(&out).contains("created workspace acme"));
        // The owner sees it through the API, as its admin.
        let workspace = owner.get("/workspaces/acme/").await.expect(200);
        assert_eq!(workspace["role"], 20);
        assert_eq!(workspace["owner"], owner.user_id.as_str());

        let taken = failure(
            &admin_cli(
                &app,
                &[
                    "create-workspace",
                    "--name",
                    "Again",
                    "--slug",
                    "acme",
                    "--owner",
                    "owner@example.com",
                ],
                None,
            )
            .await,
        );
        assert!(
            taken.contains("a workspace with the slug acme already exists"),
            "{taken}"
        );
        let reserved = failure(
            &admin_cli(
                &app,
                &[
                    "create-workspace",
                    "--name",
                    "X",
                    "--slug",
                    "god-mode",
                    "--owner",
                    "owner@example.com",
                ],
                None,
            )
            .await,
        );
        assert!(reserved.contains("--slug: Slug is not valid"), "{reserved}");
        let unknown = failure(
            &admin_cli(
                &app,
                &[
                    "create-workspace",
                    "--name",
                    "X",
                    "--slug",
                    "x",
                    "--owner",
                    "nobody@example.com",
                ],
                None,
            )
            .await,
        );
        assert!(
            unknown.contains("no user with email nobody@example.com"),
            "{unknown}"
        );
        assert_eq!(
            owner.get("/workspaces/").await.expect(200)["total_count"],
            1
        );
    }
);
