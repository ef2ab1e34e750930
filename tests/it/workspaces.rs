//! Workspaces over `/api/v1/`: creation rules, the caller's list, renaming, deletion by the
//! owner with its cascade, members and roles, leaving.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(
    creating_a_workspace_follows_planes_rules,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;

        let created = ada
            .post("/workspaces/", json!({"name": "Acme", "slug": "acme"}))
            .await;
        assert_eq!(
            created.content_type.as_deref(),
            Some("application/json"),
            "{created:?}"
        );
        let created = created.expect(201);
        assert_eq!(created["slug"], "acme");
        assert_eq!(created["name"], "Acme");
        assert_eq!(created["owner"], ada.user_id.as_str());
        assert_eq!(created["role"], 20);
        assert_eq!(created["total_members"], 1);
        assert_eq!(created["timezone"], "UTC");
        // Plane's datetimes: UTC with Z.
        let stamp = created["created_at"].as_str().unwrap();
        assert!(stamp.ends_with('Z') && stamp.len() >= 20, "{stamp}");

        // Slug rules, all reported at once with the other fields' problems.
        for (body, expected) in [
            (
                json!({"name": "x", "slug": "god-mode"}),
                json!({"slug": ["Slug is not valid"]}),
            ),
            (
                json!({"name": "x", "slug": "acme corp"}),
                json!({"slug": ["Slug can only contain letters, numbers, hyphens (-), and underscores (_)"]}),
            ),
            (
                json!({"name": "x", "slug": "a".repeat(49)}),
                json!({"slug": ["Ensure this field has no more than 48 characters."]}),
            ),
            (
                json!({"name": "see https://evil.example", "slug": "fine"}),
                json!({"name": ["Name must not contain URLs"]}),
            ),
            (
                json!({}),
                json!({"name": ["This field is required."], "slug": ["This field is required."]}),
            ),
            (
                json!({"name": 5.5, "slug": ["x"]}),
                json!({"slug": ["Not a valid string."]}),
            ),
            (
                json!({"name": "x", "slug": "tz", "timezone": "Mars/Olympus"}),
                json!({"timezone": ["\"Mars/Olympus\" is not a valid choice."]}),
            ),
            // An IANA alias outside pytz's common names: Plane's SDK could not read it back.
            (
                json!({"name": "x", "slug": "tz", "timezone": "Asia/Calcutta"}),
                json!({"timezone": ["\"Asia/Calcutta\" is not a valid choice."]}),
            ),
            // Postgres cannot store a NUL character: refused for every field, nested ones too.
            (
                json!({"name": "a\u{0}b", "slug": "nul"}),
                json!({"name": ["Null characters are not allowed."]}),
            ),
            (
                json!({"name": "x", "slug": "nul", "logo_props": {"emoji": {"value": "\u{0}"}}}),
                json!({"logo_props": ["Null characters are not allowed."]}),
            ),
        ] {
            let answer = ada.post("/workspaces/", body.clone()).await;
            assert_eq!(answer.body, expected, "{body}");
            assert_eq!(answer.status, 400);
        }
        // Not an object, not JSON.
        assert_eq!(
            ada.post("/workspaces/", json!([1])).await.body,
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        );
        let raw = reqwest::Client::new()
            .post(app.url("/api/v1/workspaces/"))
            .header("X-Api-Key", &ada.token)
            .header("Content-Type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), 400);
        let body: Value = raw.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("JSON parse error"),
            "{body}"
        );

        // A NUL character in the path or the query: 400, never a database error.
        for path in ["/workspaces/a%00b/", "/workspaces/acme/members/?email=%00"] {
            let answer = ada.get(path).await;
            assert_eq!(answer.status, 400, "{path}");
            assert_eq!(
                answer.body,
                json!({"error": "Null characters are not allowed."}),
                "{path}"
            );
        }

        // A taken slug: Plane's 409.
        let taken = ada
            .post("/workspaces/", json!({"name": "Other", "slug": "acme"}))
            .await;
        assert_eq!(taken.status, 409);
        assert_eq!(
            taken.body,
            json!({"slug": "The workspace with the slug already exists"})
        );
        // Nothing was written by the refused requests.
        let mine = ada.get("/workspaces/").await.expect(200);
        assert_eq!(mine["total_count"], 1);
        assert_eq!(mine["results"][0]["slug"], "acme");
        assert_eq!(mine["extra_stats"], Value::Null);
        assert_eq!(mine["next_cursor"], "1000:1:0");

        // Without the trailing slash too.
        assert_eq!(
            ada.get("/workspaces/acme").await.expect(200)["id"],
            created["id"]
        );
    }
);

on_both_engines!(
    the_list_shows_only_the_callers_workspaces,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        for slug in ["zeta", "alpha", "mid"] {
            app.workspace(&ada, slug).await;
        }
        app.workspace(&bob, "bobs").await;
        app.add_member("mid", &bob, 15).await;

        let list = ada.get("/workspaces/?per_page=2").await.expect(200);
        assert_eq!(list["total_count"], 3);
        assert_eq!(list["count"], 2);
        assert_eq!(list["next_page_results"], true);
        let names: Vec<&str> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["slug"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alpha", "mid"]);
        let totals: Vec<&Value> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| &w["total_members"])
            .collect();
        assert_eq!(totals, [1, 2], "each workspace's own count");
        let next = ada
            .get(&format!(
                "/workspaces/?per_page=2&cursor={}",
                list["next_cursor"].as_str().unwrap()
            ))
            .await
            .expect(200);
        assert_eq!(next["results"][0]["slug"], "zeta");
        assert_eq!(next["next_page_results"], false);

        let bobs = bob.get("/workspaces/?fields=slug,role").await.expect(200);
        assert_eq!(
            bobs["results"],
            json!([{"slug": "bobs", "role": 20}, {"slug": "mid", "role": 15}])
        );
        // Someone else's workspace is refused exactly like one that does not exist.
        let theirs = bob.get("/workspaces/zeta/").await;
        let nowhere = bob.get("/workspaces/nowhere/").await;
        assert_eq!(theirs.status, 403);
        assert_eq!(
            theirs.body,
            json!({"detail": "You do not have permission to perform this action."})
        );
        assert_eq!((nowhere.status, nowhere.body), (theirs.status, theirs.body));
    }
);

on_both_engines!(
    renaming_and_deleting_are_for_admins_and_the_owner,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let admin = app.api_user("admin2@example.com").await;
        let member = app.api_user("member@example.com").await;
        app.workspace(&owner, "acme").await;
        app.add_member("acme", &admin, 20).await;
        app.add_member("acme", &member, 15).await;
        let created = owner.get("/workspaces/acme/").await.expect(200);
        assert_eq!(created["updated_by"], Value::Null, "{created}");

        let renamed = admin
            .patch("/workspaces/acme/", json!({"name": "Acme Corp"}))
            .await
            .expect(200);
        assert_eq!(renamed["name"], "Acme Corp");
        assert_eq!(renamed["updated_by"], admin.user_id.as_str());
        assert_eq!(
            admin
                .patch("/workspaces/acme/", json!({"slug": "other"}))
                .await
                .body,
            json!({"slug": ["The slug of a workspace cannot be changed."]})
        );
        assert_eq!(
            member
                .patch("/workspaces/acme/", json!({"name": "Mine"}))
                .await
                .status,
            403
        );
        assert_eq!(admin.delete("/workspaces/acme/").await.status, 403);
        assert_eq!(member.delete("/workspaces/acme/").await.status, 403);

        // The owner deletes: everything in it goes with it, nothing left orphaned.
        let project = app.project(&owner, "acme", "WEB").await;
        let project_id = project["id"].as_str().unwrap();
        assert_eq!(
            owner
                .post(
                    &format!("/workspaces/acme/projects/{project_id}/labels/"),
                    json!({"name": "bug"})
                )
                .await
                .status,
            201
        );
        let estimates = format!("/workspaces/acme/projects/{project_id}/estimates/");
        let estimate = owner
            .post(&estimates, json!({"name": "Points", "type": "points"}))
            .await
            .expect(201);
        owner
            .post(
                &format!(
                    "{estimates}{}/estimate-points/",
                    estimate["id"].as_str().unwrap()
                ),
                json!([{"key": 1, "value": "1"}, {"key": 2, "value": "3"}]),
            )
            .await
            .expect(201);
        owner
            .post(
                "/workspaces/acme/invitations/",
                json!({"email": "new@example.com", "role": 15}),
            )
            .await
            .expect(201);
        let states = owner
            .get(&format!("/workspaces/acme/projects/{project_id}/states/"))
            .await
            .expect(200);
        app.work_item(&project, states["results"][0]["id"].as_str().unwrap())
            .await;
        let workspace_id = renamed["id"].as_str().unwrap().parse().unwrap();
        // Every table of the cascade has live rows before, so "none after" proves something.
        for table in plane_aio::db::workspaces::WORKSPACE_TABLES {
            assert!(
                plane_aio::db::workspaces::live_rows(app.state.db(), table, workspace_id)
                    .await
                    .unwrap()
                    > 0,
                "the test seeds no {table} row"
            );
        }
        let answer = owner.delete("/workspaces/acme/").await;
        assert_eq!(answer.status, 204);
        assert!(answer.text.is_empty());
        for table in plane_aio::db::workspaces::WORKSPACE_TABLES
            .iter()
            .chain(&["workspaces"])
        {
            assert_eq!(
                plane_aio::db::workspaces::live_rows(app.state.db(), table, workspace_id)
                    .await
                    .unwrap(),
                0,
                "live rows left in {table}"
            );
        }
        assert_eq!(owner.get("/workspaces/acme/").await.status, 403);
        assert_eq!(
            owner.get("/workspaces/").await.expect(200)["total_count"],
            0
        );
        // The slug is free again.
        app.workspace(&member, "acme").await;
    }
);

on_both_engines!(
    members_roles_removal_and_leaving,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let guest = app.api_user("guest@example.com").await;
        app.workspace(&owner, "acme").await;
        app.add_member("acme", &bob, 15).await;
        app.add_member("acme", &guest, 5).await;

        let members = owner.get("/workspaces/acme/members/").await.expect(200);
        let members = members.as_array().unwrap();
        assert_eq!(members.len(), 3);
        let bob_row = members
            .iter()
            .find(|m| m["email"] == "bob@example.com")
            .unwrap();
        for key in crate::support::USER_LITE_KEYS {
            assert!(bob_row.get(key).is_some(), "{key} in {bob_row}");
        }
        assert_eq!(bob_row["role"], 15);
        assert_eq!(bob_row["role_slug"], "member");
        assert_eq!(bob_row["id"], bob.user_id.as_str());
        // Guests cannot list members (Plane's WorkSpaceAdminPermission).
        assert_eq!(guest.get("/workspaces/acme/members/").await.status, 403);
        let lite = bob
            .get("/workspaces/acme/members-lite/?per_page=2&role_slug=member")
            .await
            .expect(200);
        assert_eq!(lite["total_count"], 1);
        assert_eq!(lite["results"][0]["email"], "bob@example.com");
        // Newest membership first, as Plane's `WorkspaceMember` ordering.
        let listed = owner.get("/workspaces/acme/members/").await.expect(200);
        assert_eq!(
            listed.as_array().unwrap().last().unwrap()["email"],
            "owner@example.com",
            "{listed}"
        );
        // A filter longer than any name matches none (SQLite, the engine that would refuse
        // its LIKE pattern, is the run that guards this).
        let by_email = bob
            .get("/workspaces/acme/members/?email=bob@")
            .await
            .expect(200);
        assert_eq!(by_email.as_array().unwrap().len(), 1, "{by_email}");
        let too_long = format!(
            "/workspaces/acme/members/?first_name={}",
            "_".repeat(30_000)
        );
        assert_eq!(bob.get(&too_long).await.expect(200), json!([]));
        // Case folds beyond ASCII on both engines (SQLite's own lower() folds ASCII only).
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.state.db().conn,
            "UPDATE users SET first_name = 'Émile' WHERE email = 'bob@example.com'",
        )
        .await
        .unwrap();
        // Postgres folds as its locale says: a cluster made with the C locale folds ASCII only.
        let unicode_folds = sea_orm::ConnectionTrait::query_one_raw(
            &app.state.db().conn,
            sea_orm::Statement::from_string(
                app.state.db().backend(),
                "SELECT lower('É') = 'é' AS folds",
            ),
        )
        .await
        .unwrap()
        .unwrap()
        .try_get::<bool>("", "folds")
        .unwrap();
        let filters: &[&str] = if unicode_folds {
            &["émile", "ÉMILE", "mIL"]
        } else {
            eprintln!("skipped: non-ASCII case folding (this Postgres has a C locale)");
            &["mIL"]
        };
        for filter in filters {
            let found = bob
                .get(&format!("/workspaces/acme/members/?first_name={filter}"))
                .await
                .expect(200);
            assert_eq!(found[0]["email"], "bob@example.com", "{filter}: {found}");
            assert_eq!(found.as_array().unwrap().len(), 1, "{filter}: {found}");
        }

        // Roles: admins change them; the owner stays admin; bad roles are refused.
        let path = format!("/workspaces/acme/members/{}/", bob.user_id);
        assert_eq!(bob.patch(&path, json!({"role": 20})).await.status, 403);
        assert_eq!(
            owner.patch(&path, json!({"role": 10})).await.body,
            json!({"role": ["\"10\" is not a valid choice."]})
        );
        let promoted = owner.patch(&path, json!({"role": 20})).await.expect(200);
        assert_eq!(promoted["role"], 20);
        let owner_path = format!("/workspaces/acme/members/{}/", owner.user_id);
        assert_eq!(
            bob.patch(&owner_path, json!({"role": 15})).await.body,
            json!({"error": "The workspace owner's role cannot be changed"})
        );
        assert_eq!(bob.delete(&owner_path).await.status, 400);

        // The owner cannot leave; a member can, and loses access.
        assert_eq!(
            owner
                .post("/workspaces/acme/members/leave/", json!({}))
                .await
                .body,
            json!({"error": "The workspace owner cannot leave the workspace; delete it instead"})
        );
        assert_eq!(
            guest
                .post("/workspaces/acme/members/leave/", json!({}))
                .await
                .status,
            204
        );
        assert_eq!(guest.get("/workspaces/acme/").await.status, 403);
        // Removed members stay listed, inactive.
        assert_eq!(
            owner
                .delete(&format!("/workspaces/acme/members/{}/", bob.user_id))
                .await
                .status,
            204
        );
        assert_eq!(bob.get("/workspaces/acme/").await.status, 403);
        let members = owner.get("/workspaces/acme/members/").await.expect(200);
        let inactive: Vec<&Value> = members
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["is_active"] == false)
            .collect();
        assert_eq!(inactive.len(), 2);
        // An unknown member id.
        assert_eq!(
            owner
                .get(&format!(
                    "/workspaces/acme/members/{}/",
                    uuid::Uuid::now_v7()
                ))
                .await
                .status,
            404
        );
    }
);

on_both_engines!(
    no_project_is_left_without_an_admin,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        app.workspace(&owner, "acme").await;
        app.add_member("acme", &bob, 20).await;
        // Bob creates a project and is its only admin (the owner is not in it).
        let project = app.project(&bob, "acme", "BOB").await;
        let pid = project["id"].as_str().unwrap();
        let bob_member = format!("/workspaces/acme/members/{}/", bob.user_id);

        let removed = owner.delete(&bob_member).await;
        assert_eq!(removed.status, 400, "{:?}", removed.body);
        assert_eq!(
            removed.body,
            json!({"error": "User is a part of some projects where they are the only admin, they should either leave that project or promote another user to admin"})
        );
        let lowered = owner.patch(&bob_member, json!({"role": 15})).await;
        assert_eq!(lowered.status, 400, "{:?}", lowered.body);
        let left = bob.post("/workspaces/acme/members/leave/", json!({})).await;
        assert_eq!(left.status, 400, "{:?}", left.body);
        // Nothing changed: Bob is still a workspace admin and the project's admin.
        let row = owner.get(&bob_member).await.expect(200);
        assert_eq!(row["role"], 20);
        let bob_in_project = bob
            .get(&format!(
                "/workspaces/acme/projects/{pid}/members/{}/",
                bob.user_id
            ))
            .await
            .expect(200);
        assert_eq!(bob_in_project["role"], 20);

        // With a second project admin, Bob can be lowered and then removed.
        let added = bob
            .post(
                &format!("/workspaces/acme/projects/{pid}/members/"),
                json!({"member": owner.user_id, "role": 20}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.body);
        owner
            .patch(&bob_member, json!({"role": 15}))
            .await
            .expect(200);
        assert_eq!(owner.delete(&bob_member).await.status, 204);
        assert_eq!(bob.get("/workspaces/acme/").await.status, 403);
    }
);

on_both_engines!(
    an_unsupported_method_gets_drfs_405,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let answer = owner
            .send(reqwest::Method::PUT, "/workspaces/", Some(json!({})))
            .await;
        assert_eq!(answer.status, 405);
        assert_eq!(
            answer.body,
            json!({"detail": "Method \"PUT\" not allowed."})
        );
        assert_eq!(
            owner.get("/workspaces/").await.expect(200)["total_count"],
            0
        );
    }
);

on_both_engines!(
    every_table_of_a_workspace_or_project_is_in_its_cascade,
    |engine: Engine| async move {
        use sea_orm::ConnectionTrait;
        let app = TestApp::spawn(engine).await;
        let db = app.state.db();
        // Tables with a column `column`, read from the live schema.
        let tables_with = |column: &'static str| async move {
            let sql = if db.is_postgres() {
                format!(
                    "SELECT table_name::text AS name FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND column_name = '{column}'"
                )
            } else {
                format!(
                    "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND c.name = '{column}'"
                )
            };
            let rows = db
                .conn
                .query_all_raw(sea_orm::Statement::from_string(db.backend(), sql))
                .await
                .unwrap();
            let mut names: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect();
            names.sort();
            names
        };
        let sorted = |list: &[&str]| {
            let mut list: Vec<String> = list.iter().map(|t| t.to_string()).collect();
            list.sort();
            list
        };
        // api_tokens keeps Plane's optional workspace column but never sets it: tokens are the
        // user's, across workspaces.
        let belonging: Vec<String> = tables_with("workspace_id")
            .await
            .into_iter()
            .filter(|t| t != "api_tokens")
            .collect();
        assert_eq!(
            belonging,
            sorted(plane_aio::db::workspaces::WORKSPACE_TABLES),
            "a table with workspace_id is missing from WORKSPACE_TABLES (or the list names a table without it)"
        );
        assert_eq!(
            tables_with("project_id").await,
            sorted(plane_aio::db::workspaces::PROJECT_TABLES),
            "a table with project_id is missing from PROJECT_TABLES"
        );
    }
);
