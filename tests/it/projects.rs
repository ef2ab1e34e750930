//! Projects over `/api/v1/`: creation rules and defaults, changes, archiving, deletion with
//! its cascade. Who sees which project is in `project_visibility.rs`; members and joining are
//! in `project_members.rs`.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(
    creating_a_project_follows_planes_rules,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let guest = app.api_user("guest@example.com").await;
        let outsider = app.api_user("out@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 15).await;
        app.add_member("acme", &guest, 5).await;

        let created = ada
            .post(
                "/workspaces/acme/projects/",
                json!({"name": "Website", "identifier": " web ", "description": "The site",
                       "project_lead": bob.user_id, "cycle_view": "true"}),
            )
            .await
            .expect(201);
        assert_eq!(created["identifier"], "WEB");
        assert_eq!(created["network"], 2);
        assert_eq!(created["cycle_view"], true);
        assert_eq!(created["module_view"], false);
        assert_eq!(created["page_view"], true);
        assert_eq!(created["project_lead"], bob.user_id.as_str());
        assert_eq!(created["default_state"], Value::Null);
        assert_eq!(created["total_members"], 2);
        assert_eq!(created["is_member"], true);
        assert_eq!(created["member_role"], 20);
        assert_eq!(created["logo_props"]["in_use"], "icon");
        // As Plane: a row nobody has changed since its creation has no updater.
        assert_eq!(created["created_by"], ada.user_id.as_str());
        assert_eq!(created["updated_by"], Value::Null);
        assert!(
            created.get("sort_order").is_none(),
            "no sort_order on create"
        );
        for key in [
            "id",
            "total_cycles",
            "total_modules",
            "is_deployed",
            "cover_image_url",
            "created_at",
            "updated_at",
            "deleted_at",
            "description_text",
            "description_html",
            "emoji",
            "icon_prop",
            "issue_views_view",
            "intake_view",
            "is_time_tracking_enabled",
            "is_issue_type_enabled",
            "guest_view_all_features",
            "cover_image",
            "archive_in",
            "close_in",
            "archived_at",
            "timezone",
            "external_source",
            "external_id",
            "created_by",
            "updated_by",
            "workspace",
            "default_assignee",
            "cover_image_asset",
            "estimate",
        ] {
            assert!(created.get(key).is_some(), "{key} missing");
        }
        let pid = created["id"].as_str().unwrap();

        // Six states: five listed, triage hidden; Backlog is the default.
        let states = ada
            .get(&format!("/workspaces/acme/projects/{pid}/states/"))
            .await
            .expect(200);
        let names: Vec<&str> = states["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Backlog", "Todo", "In Progress", "Done", "Cancelled"]
        );
        assert_eq!(states["results"][0]["default"], true);
        assert_eq!(states["results"][0]["group"], "backlog");
        assert_eq!(states["results"][0]["color"], "#60646C");
        // The creator and the lead are admins.
        let members = ada
            .get(&format!("/workspaces/acme/projects/{pid}/members/"))
            .await
            .expect(200);
        let mut roles: Vec<(String, i64)> = members
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["email"].as_str().unwrap().to_string(),
                    m["role"].as_i64().unwrap(),
                )
            })
            .collect();
        roles.sort();
        assert_eq!(
            roles,
            [
                ("ada@example.com".to_string(), 20),
                ("bob@example.com".to_string(), 20)
            ]
        );

        // Plane's refusals, nothing written.
        for (body, status, expected) in [
            (
                json!({"name": "Web-site", "identifier": "WS"}),
                400,
                json!({"non_field_errors": ["Project name cannot contain special characters."]}),
            ),
            (
                json!({"name": "Other", "identifier": "O.K"}),
                400,
                json!({"non_field_errors": ["Project identifier cannot contain special characters."]}),
            ),
            (
                json!({"name": "Other", "identifier": "ABCDEFGHIJKLM"}),
                400,
                json!({"identifier": ["Ensure this field has no more than 12 characters."]}),
            ),
            // Twelve characters that upper-case to twenty-four.
            (
                json!({"name": "Other", "identifier": "ßßßßßßßßßßßß"}),
                400,
                json!({"identifier": ["Ensure this field has no more than 12 characters."]}),
            ),
            (
                json!({"identifier": "X"}),
                400,
                json!({"name": ["This field is required."]}),
            ),
            (
                json!({"name": "Other", "identifier": "OTH", "project_lead": outsider.user_id}),
                400,
                json!({"project_lead": ["The provided user is not a member of this workspace."]}),
            ),
            (
                json!({"name": "Other", "identifier": "OTH", "default_assignee": outsider.user_id}),
                400,
                json!({"non_field_errors": ["Default assignee should be a user in the workspace"]}),
            ),
            (
                json!({"name": "Other", "identifier": "OTH", "archive_in": 13}),
                400,
                json!({"archive_in": ["Ensure this value is less than or equal to 12."]}),
            ),
            (
                json!({"name": "Other", "identifier": "OTH", "project_lead": "nope"}),
                400,
                json!({"project_lead": ["\u{201c}nope\u{201d} is not a valid UUID."]}),
            ),
            (
                json!({"name": "Website", "identifier": "NEW"}),
                409,
                json!({"name": "The project name is already taken"}),
            ),
            (
                json!({"name": "New", "identifier": "web"}),
                409,
                json!({"identifier": "The project identifier is already taken"}),
            ),
        ] {
            let answer = ada.post("/workspaces/acme/projects/", body.clone()).await;
            assert_eq!(
                (answer.status.as_u16(), answer.body),
                (status, expected),
                "{body}"
            );
        }
        // Guests and outsiders cannot create projects.
        let refused = guest
            .post(
                "/workspaces/acme/projects/",
                json!({"name": "G", "identifier": "G"}),
            )
            .await;
        assert_eq!(refused.status, 403);
        assert_eq!(
            refused.body,
            json!({"detail": "You do not have permission to perform this action."})
        );
        assert_eq!(
            outsider
                .post(
                    "/workspaces/acme/projects/",
                    json!({"name": "G", "identifier": "G"})
                )
                .await
                .status,
            403
        );
        let list = ada.get("/workspaces/acme/projects/").await.expect(200);
        assert_eq!(list["total_count"], 1);

        // A workspace guest made lead joins as a guest (Plane makes any lead an admin, which
        // would let a guest delete the project): they read it, and cannot change it.
        let led = ada
            .post(
                "/workspaces/acme/projects/",
                json!({"name": "Led", "identifier": "LED", "project_lead": guest.user_id}),
            )
            .await
            .expect(201);
        let led_path = format!("/workspaces/acme/projects/{}/", led["id"].as_str().unwrap());
        let guest_row = ada
            .get(&format!("{led_path}members/{}/", guest.user_id))
            .await
            .expect(200);
        assert_eq!(guest_row["role"], 5, "{guest_row}");
        guest.get(&led_path).await.expect(200);
        assert_eq!(
            guest.patch(&led_path, json!({"name": "Mine"})).await.status,
            403
        );
        assert_eq!(guest.delete(&led_path).await.status, 403);
        ada.delete(&led_path).await.expect(204);

        // A deleted project's name and identifier can be used again.
        assert_eq!(
            ada.delete(&format!("/workspaces/acme/projects/{pid}/"))
                .await
                .status,
            204
        );
        app.project(&ada, "acme", "WEB").await;
    }
);

on_both_engines!(
    changing_archiving_and_deleting_a_project,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let carl = app.api_user("carl@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 15).await;
        app.add_member("acme", &carl, 20).await;
        let project = app.project(&bob, "acme", "WEB").await;
        let pid = project["id"].as_str().unwrap().to_string();
        let path = format!("/workspaces/acme/projects/{pid}/");
        app.project(&bob, "acme", "API").await;

        // Bob (project admin) changes it; Ada (workspace owner, not in it) cannot.
        let changed = bob
            .patch(&path, json!({"name": "Website", "description": "New", "module_view": true, "timezone": "Europe/Paris"}))
            .await
            .expect(200);
        assert_eq!(changed["name"], "Website");
        assert_eq!(changed["module_view"], true);
        assert_eq!(changed["timezone"], "Europe/Paris");
        assert_eq!(ada.patch(&path, json!({"name": "X"})).await.status, 403);
        assert_eq!(
            bob.patch(&path, json!({"identifier": "api"})).await.body,
            json!({"identifier": "The project identifier is already taken"})
        );
        assert_eq!(
            bob.patch(
                &path,
                json!({"default_state": uuid::Uuid::now_v7().to_string()})
            )
            .await
            .body,
            json!({"non_field_errors": ["Default state should be a state in the project"]})
        );
        let states = bob.get(&format!("{path}states/")).await.expect(200);
        let todo = states["results"][1]["id"].as_str().unwrap();
        assert_eq!(
            bob.patch(&path, json!({"default_state": todo}))
                .await
                .expect(200)["default_state"],
            todo
        );

        // Features.
        let features = bob.get(&format!("{path}features/")).await.expect(200);
        assert_eq!(features["modules"], true);
        assert_eq!(features["cycles"], false);
        let features = bob
            .patch(
                &format!("{path}features/"),
                json!({"cycles": true, "intakes": true}),
            )
            .await
            .expect(200);
        assert_eq!(
            (features["cycles"].clone(), features["intakes"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(
            bob.patch(&format!("{path}features/"), json!({"epics": true}))
                .await
                .body,
            json!({"epics": ["This feature is not available on this instance."]})
        );
        assert_eq!(bob.get(&path).await.expect(200)["intake_view"], true);

        // Summary. Work items count unless deleted or in triage (as Plane).
        let backlog = bob.get(&format!("{path}states/")).await.expect(200)["results"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.work_item(&project, &backlog).await;
        let deleted = app.work_item(&project, &backlog).await;
        app.delete_work_item(deleted).await;
        app.work_item(&project, &triage_state(&app, &pid).await)
            .await;
        let summary = bob.get(&format!("{path}summary/")).await.expect(200);
        assert_eq!(summary["identifier"], "WEB");
        assert_eq!(summary["counts"]["states"], 5);
        assert_eq!(summary["counts"]["members"], 1);
        assert_eq!(summary["counts"]["issues"], 1);
        let only = bob
            .get(&format!("{path}summary/?fields=members,labels"))
            .await
            .expect(200);
        assert_eq!(only["counts"], json!({"members": 1, "labels": 0}));
        let unknown = bob
            .get(&format!("{path}summary/?fields=bogus"))
            .await
            .expect(200);
        assert_eq!(
            unknown["counts"].as_object().unwrap().len(),
            8,
            "no known count named: all of them, as Plane: {unknown}"
        );

        // Archived: read-only, no states listed.
        assert_eq!(
            bob.post(&format!("{path}archive/"), json!({})).await.status,
            204
        );
        assert!(bob.get(&path).await.expect(200)["archived_at"].is_string());
        assert_eq!(
            bob.patch(&path, json!({"name": "Y"})).await.body,
            json!({"error": "Archived project cannot be updated"})
        );
        assert_eq!(
            bob.get(&format!("{path}states/")).await.expect(200)["total_count"],
            0
        );
        assert_eq!(bob.delete(&format!("{path}archive/")).await.status, 204);
        assert_eq!(bob.get(&path).await.expect(200)["archived_at"], Value::Null);

        // Carl, a workspace admin, joins and then may manage it too.
        assert_eq!(carl.patch(&path, json!({"name": "Z"})).await.status, 403);
        let joined = carl
            .post(&format!("{path}join/"), json!({}))
            .await
            .expect(201);
        assert_eq!(joined["role"], 20);
        assert_eq!(
            carl.patch(&path, json!({"description": "by carl"}))
                .await
                .status,
            200
        );

        // Deleting takes everything of the project with it.
        bob.post(&format!("{path}labels/"), json!({"name": "bug"}))
            .await
            .expect(201);
        let estimate = bob
            .post(
                &format!("{path}estimates/"),
                json!({"name": "Points", "type": "points"}),
            )
            .await
            .expect(201);
        bob.post(
            &format!(
                "{path}estimates/{}/estimate-points/",
                estimate["id"].as_str().unwrap()
            ),
            json!([{"key": 1, "value": "1"}, {"key": 2, "value": "2"}]),
        )
        .await
        .expect(201);
        let project_id: uuid::Uuid = pid.parse().unwrap();
        for table in plane_aio::db::workspaces::PROJECT_TABLES {
            let live = live_project_rows(&app, table, project_id).await;
            assert!(live > 0, "the project has rows in {table} to delete");
        }
        assert_eq!(bob.delete(&path).await.status, 204);
        assert_eq!(bob.get(&path).await.status, 404);
        assert_eq!(bob.get(&format!("{path}states/")).await.status, 403);
        for table in plane_aio::db::workspaces::PROJECT_TABLES {
            let live = live_project_rows(&app, table, project_id).await;
            assert_eq!(live, 0, "live rows left in {table}");
        }
    }
);

async fn live_project_rows(app: &TestApp, table: &str, project_id: uuid::Uuid) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE project_id = $ AND deleted_at IS NULL"
    );
    let row = project_row(app, &sql, project_id).await;
    row.try_get::<i64>("", "n").unwrap()
}

/// The project's hidden triage state, which the API never names.
async fn triage_state(app: &TestApp, project_id: &str) -> String {
    let sql = "SELECT id FROM states WHERE project_id = $ AND is_triage";
    let row = project_row(app, sql, project_id.parse().unwrap()).await;
    row.try_get::<uuid::Uuid>("", "id").unwrap().to_string()
}

/// The one row `sql` answers, with `$` standing for the project's id.
async fn project_row(app: &TestApp, sql: &str, project_id: uuid::Uuid) -> sea_orm::QueryResult {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.state.db();
    let placeholder = if db.is_postgres() { "$1" } else { "?" };
    db.conn
        .query_one_raw(Statement::from_sql_and_values(
            db.backend(),
            sql.replace('$', placeholder),
            [project_id.into()],
        ))
        .await
        .unwrap()
        .unwrap()
}
