//! A project's states and labels over `/api/v1/` (estimates: `estimates.rs`).

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use futures_util::future::join_all;

use crate::{
    on_both_engines,
    races::assert_answered,
    support::{
        Engine, TestApp,
        api::{Answer, ApiClient},
    },
};

/// A workspace `acme` with project `WEB` owned by Ada; Bob is a project member, Gus a guest.
pub(crate) async fn setup(app: &TestApp) -> (ApiClient, ApiClient, ApiClient, String) {
    let ada = app.api_user("ada@example.com").await;
    let bob = app.api_user("bob@example.com").await;
    let gus = app.api_user("gus@example.com").await;
    app.workspace(&ada, "acme").await;
    app.add_member("acme", &bob, 15).await;
    app.add_member("acme", &gus, 5).await;
    let project = app.project(&ada, "acme", "WEB").await;
    let pid = project["id"].as_str().unwrap().to_string();
    let members = format!("/workspaces/acme/projects/{pid}/members/");
    ada.post(&members, json!({"member": bob.user_id, "role": 15}))
        .await
        .expect(201);
    ada.post(&members, json!({"member": gus.user_id, "role": 5}))
        .await
        .expect(201);
    (ada, bob, gus, format!("/workspaces/acme/projects/{pid}"))
}

on_both_engines!(states_follow_planes_rules, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let (ada, bob, gus, project) = setup(&app).await;
    let states = format!("{project}/states/");

    // Created with 200 (as Plane), after the last sequence.
    let review = bob
        .post(
            &states,
            json!({"name": "In Review", "color": "#123456", "group": "started"}),
        )
        .await
        .expect(200);
    // After Cancelled (55000): the hidden triage state (65000) does not count.
    assert_eq!(review["sequence"], 70000.0);
    assert_eq!(review["slug"], "in-review");
    assert_eq!(review["default"], false);
    assert_eq!(review["is_triage"], false);
    assert_eq!(review["project"], project.rsplit('/').next().unwrap());
    let review_id = review["id"].as_str().unwrap().to_string();
    // A sequence sent on create is kept (Plane would override it).
    let qa = bob
        .post(
            &states,
            json!({"name": "QA", "color": "#654321", "group": "started", "sequence": 36000}),
        )
        .await
        .expect(200);
    assert_eq!(qa["sequence"], 36000.0);

    for (body, status, expected) in [
        (
            json!({"name": "T", "color": "#000", "group": "triage"}),
            400,
            json!({"non_field_errors": ["Cannot create triage state"]}),
        ),
        (
            json!({"name": "T", "color": "#000", "group": "done"}),
            400,
            json!({"group": ["\"done\" is not a valid choice."]}),
        ),
        (
            json!({"name": "T"}),
            400,
            json!({"color": ["This field is required."]}),
        ),
        (
            json!({"name": "T", "color": "#000", "sequence": "soon"}),
            400,
            json!({"sequence": ["A valid number is required."]}),
        ),
        (
            json!({"name": "In Review", "color": "#000"}),
            409,
            json!({"error": "State with the same name already exists in the project", "id": review_id}),
        ),
        (
            json!({"name": "Triage", "color": "#000"}),
            409,
            json!({"error": "State with the same name already exists in the project"}),
        ),
    ] {
        let answer = bob.post(&states, body.clone()).await;
        assert_eq!(answer.status.as_u16(), status, "{body}: {}", answer.text);
        // The hidden triage state's id is not given away.
        assert_eq!(answer.body, expected, "{body}");
    }

    // Imported states are found by their external reference.
    let imported = bob
        .post(&states, json!({"name": "Jira QA", "color": "#111", "external_source": "jira", "external_id": "10"}))
        .await
        .expect(200);
    assert_eq!(
        bob.post(&states, json!({"name": "Other", "color": "#111", "external_source": "jira", "external_id": "10"}))
            .await
            .body,
        json!({"error": "State with the same external id and external source already exists", "id": imported["id"]})
    );

    // One default at a time, on creation and on change.
    let ready = bob
        .post(
            &states,
            json!({"name": "Ready", "color": "#222", "group": "unstarted", "default": true}),
        )
        .await
        .expect(200);
    let list = bob.get(&states).await.expect(200);
    let defaults: Vec<&Value> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["default"] == true)
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], ready["id"]);
    let review_path = format!("{states}{review_id}/");
    bob.patch(&review_path, json!({"default": true}))
        .await
        .expect(200);
    let list = bob.get(&format!("{states}?per_page=3")).await.expect(200);
    assert_eq!(list["total_count"], 9);
    assert_eq!(list["count"], 3);
    let all = bob.get(&states).await.expect(200);
    assert_eq!(
        all["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["default"] == true)
            .count(),
        1
    );
    // Renaming onto another state's name is a conflict, not a 500.
    assert_eq!(
        bob.patch(&review_path, json!({"name": "Done"}))
            .await
            .status,
        409
    );
    // The default state cannot go; another can.
    assert_eq!(
        bob.delete(&review_path).await.body,
        json!({"error": "Default state cannot be deleted"})
    );
    let ready_path = format!("{states}{}/", ready["id"].as_str().unwrap());
    assert_eq!(bob.delete(&ready_path).await.status, 204);
    assert_eq!(bob.get(&ready_path).await.status, 404);

    // Guests read, never write.
    assert_eq!(gus.get(&states).await.status, 200);
    assert_eq!(
        gus.post(&states, json!({"name": "G", "color": "#000"}))
            .await
            .status,
        403
    );
    assert_eq!(
        gus.patch(&review_path, json!({"color": "#fff"}))
            .await
            .status,
        403
    );
    // expand=project, fields=.
    let one = ada
        .get(&format!(
            "{review_path}?expand=project&fields=id,name,project"
        ))
        .await
        .expect(200);
    assert_eq!(one["project"]["identifier"], "WEB");
    assert_eq!(one.as_object().unwrap().len(), 3);
});

on_both_engines!(
    the_projects_default_state_cannot_be_deleted,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _gus, project) = setup(&app).await;
        let states = format!("{project}/states/");
        let list = bob.get(&states).await.expect(200);
        let id_of = |name: &str| -> String {
            list["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {list}"))["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (todo, done) = (id_of("Todo"), id_of("Done"));
        let project_path = format!("{project}/");

        // Todo is the project's default state without being the state marked `default`.
        assert_eq!(
            ada.patch(&project_path, json!({"default_state": todo}))
                .await
                .expect(200)["default_state"],
            todo.as_str()
        );
        let todo_path = format!("{states}{todo}/");
        assert_eq!(bob.get(&todo_path).await.expect(200)["default"], false);
        let refused = bob.delete(&todo_path).await;
        assert_eq!(
            (refused.status.as_u16(), refused.body),
            (400, json!({"error": "Default state cannot be deleted"}))
        );
        assert_eq!(bob.get(&todo_path).await.status, 200);
        assert_eq!(
            ada.get(&project_path).await.expect(200)["default_state"],
            todo.as_str()
        );

        // Once the project's default moves on, the state can go; the default stays put.
        ada.patch(&project_path, json!({"default_state": done}))
            .await
            .expect(200);
        assert_eq!(bob.delete(&todo_path).await.status, 204);
        assert_eq!(
            ada.get(&project_path).await.expect(200)["default_state"],
            done.as_str()
        );
        // A deleted state cannot become the default.
        assert_eq!(
            ada.patch(&project_path, json!({"default_state": todo}))
                .await
                .body,
            json!({"non_field_errors": ["Default state should be a state in the project"]})
        );
    }
);

on_both_engines!(
    labels_nest_and_clash_like_planes,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, gus, project) = setup(&app).await;
        let labels = format!("{project}/labels/");

        let area = bob
            .post(&labels, json!({"name": "Area", "color": "#ff0000"}))
            .await
            .expect(201);
        assert_eq!(area["sort_order"], 65535.0);
        assert_eq!(area["parent"], Value::Null);
        let area_id = area["id"].as_str().unwrap();
        let ui = bob
            .post(&labels, json!({"name": "UI", "parent": area_id}))
            .await
            .expect(201);
        assert_eq!(ui["parent"], area_id);
        assert_eq!(ui["sort_order"], 75535.0);
        let ui_id = ui["id"].as_str().unwrap();
        let widgets = bob
            .post(&labels, json!({"name": "Widgets", "parent": ui_id}))
            .await
            .expect(201);

        // Problems.
        assert_eq!(
            bob.post(&labels, json!({"name": "Area"})).await.body,
            json!({"error": "Label with the same name already exists in the project", "id": area_id})
        );
        let other_project = app.project(&ada, "acme", "OPS").await;
        let foreign = ada
            .post(
                &format!(
                    "/workspaces/acme/projects/{}/labels/",
                    other_project["id"].as_str().unwrap()
                ),
                json!({"name": "Foreign"}),
            )
            .await
            .expect(201);
        let foreign_id = foreign["id"].as_str().unwrap();
        assert_eq!(
            bob.post(&labels, json!({"name": "X", "parent": foreign_id}))
                .await
                .body,
            json!({"parent": [format!("Invalid pk \"{foreign_id}\" - object does not exist.")]})
        );
        // No cycles: Area cannot go under its own grandchild.
        let area_path = format!("{labels}{area_id}/");
        assert_eq!(
            bob.patch(&area_path, json!({"parent": widgets["id"]}))
                .await
                .body,
            json!({"parent": ["A label cannot be nested under itself or one of its own labels."]})
        );
        // A label of another project is unknown here.
        assert_eq!(bob.get(&format!("{labels}{foreign_id}/")).await.status, 404);

        let list = bob.get(&labels).await.expect(200);
        assert_eq!(list["total_count"], 3);
        assert_eq!(list["results"][0]["name"], "Widgets", "newest first");
        let expanded = bob
            .get(&format!("{labels}?expand=parent"))
            .await
            .expect(200);
        assert_eq!(expanded["results"][1]["parent"]["name"], "Area");

        // Deleting a parent deletes what is nested under it, at every depth (as Plane's
        // cascade); other labels stay.
        let loose = bob
            .post(&labels, json!({"name": "Loose"}))
            .await
            .expect(201);
        assert_eq!(bob.delete(&area_path).await.status, 204);
        for gone in [area_id, ui_id, widgets["id"].as_str().unwrap()] {
            assert_eq!(bob.get(&format!("{labels}{gone}/")).await.status, 404);
        }
        let left = bob.get(&labels).await.expect(200);
        assert_eq!(left["total_count"], 1, "{left}");
        assert_eq!(left["results"][0]["id"], loose["id"]);
        // Their names are free again.
        for name in ["Area", "UI", "Widgets"] {
            bob.post(&labels, json!({"name": name})).await.expect(201);
        }
        assert_eq!(gus.post(&labels, json!({"name": "G"})).await.status, 403);
        assert_eq!(gus.get(&labels).await.status, 200);
    }
);

on_both_engines!(
    answers_follow_writes_made_by_any_connection,
    |engine: Engine| async move {
        // In SQLite mode read answers are remembered while the database is unchanged; a write
        // through any other connection (here a second pool, as the admin CLI would make) must
        // show in the very next answer.
        let app = TestApp::spawn(engine).await;
        let (ada, _bob, _gus, project) = setup(&app).await;
        let states = format!("{project}/states/");
        let names = |page: &Value| -> Vec<String> {
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["name"].as_str().unwrap().to_string())
                .collect()
        };
        let before = ada.get(&states).await.expect(200);
        assert!(names(&before).contains(&"Todo".to_string()), "{before}");
        assert_eq!(ada.get(&states).await.expect(200), before);
        let projects = ada.get("/workspaces/acme/projects/").await.expect(200);
        assert_eq!(names(&projects), ["Project WEB"], "{projects}");

        let other = plane_aio::db::Db::connect(&app.state.settings().database)
            .await
            .unwrap();
        for change in [
            "UPDATE states SET name = 'To do' WHERE name = 'Todo'",
            "UPDATE projects SET name = 'Website' WHERE identifier = 'WEB'",
        ] {
            other.conn.execute_unprepared(change).await.unwrap();
        }

        let after = ada.get(&states).await.expect(200);
        assert!(names(&after).contains(&"To do".to_string()), "{after}");
        let projects = ada.get("/workspaces/acme/projects/").await.expect(200);
        assert_eq!(names(&projects), ["Website"], "{projects}");
        ada.get("/users/me/").await.expect(200);
        other
            .conn
            .execute_unprepared("UPDATE users SET is_active = false")
            .await
            .unwrap();
        other.close().await;
        let refused = ada.get("/users/me/").await.expect(403);
        assert_eq!(refused, json!({"detail": "Given API token is not valid"}));
    }
);

on_both_engines!(
    a_body_is_read_only_once_the_caller_is_let_in,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, _bob, gus, project) = setup(&app).await;
        let url = app.url(&format!("/api/v1{project}/labels/"));
        let client = crate::support::client();
        let send = async |token: &str, content_type: &str, body: &'static str| {
            let resp = client
                .post(&url)
                .header("X-Api-Key", token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        };
        // A guest may not create labels: 403 whatever the body, as DRF checks permissions
        // before it parses `request.data`.
        let forbidden = json!({"detail": "You do not have permission to perform this action."});
        for (content_type, body) in [
            ("application/json", "{not json"),
            ("text/plain", "name=x"),
            ("application/json", "{\"name\": \"Bug\"}"),
        ] {
            assert_eq!(
                send(&gus.token, content_type, body).await,
                (403, forbidden.clone()),
                "{content_type} {body}"
            );
        }
        // Let in, the body's faults are named.
        let (status, body) = send(&ada.token, "application/json", "{not json").await;
        assert_eq!(status, 400);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("JSON parse error - ")),
            "{body}"
        );
        assert_eq!(
            send(&ada.token, "text/plain", "name=x").await,
            (
                415,
                json!({"detail": "Unsupported media type \"text/plain\" in request."})
            )
        );
        let labels = ada.get(&format!("{project}/labels/")).await.expect(200);
        assert_eq!(labels["results"], json!([]), "nothing was written");
        assert_eq!(labels["total_count"], 0);
    }
);

on_both_engines!(
    no_loop_closes_however_deep_the_labels_nest,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_ada, bob, _gus, project) = setup(&app).await;
        let labels = format!("{project}/labels/");
        let root = bob.post(&labels, json!({"name": "L0"})).await.expect(201);
        let mut deepest = root["id"].as_str().unwrap().to_string();
        for depth in 1..=80 {
            let label = bob
                .post(
                    &labels,
                    json!({"name": format!("L{depth}"), "parent": deepest}),
                )
                .await
                .expect(201);
            deepest = label["id"].as_str().unwrap().to_string();
        }
        let root_path = format!("{labels}{}/", root["id"].as_str().unwrap());
        let refused = bob.patch(&root_path, json!({"parent": deepest})).await;
        assert_eq!(refused.status, 400);
        assert_eq!(
            refused.body,
            json!({"parent": ["A label cannot be nested under itself or one of its own labels."]})
        );
        assert_eq!(
            bob.get(&root_path).await.expect(200)["parent"],
            Value::Null,
            "nothing written"
        );
    }
);

on_both_engines!(
    racing_creations_of_one_name_or_reference_answer_409_with_the_winners_id,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _, project) = setup(&app).await;
        // One name; then names that differ but one external reference (an importer's retry).
        fn one_name(_: usize) -> Value {
            json!({"name": "Twin", "color": "#123", "group": "started"})
        }
        fn one_reference(i: usize) -> Value {
            json!({"name": format!("Imported {i}"), "color": "#123",
                   "external_source": "jira", "external_id": "QA-1"})
        }
        type BodyOf = fn(usize) -> Value;
        let cases: [(&str, BodyOf, &str); 4] = [
            ("states", one_name, "same name"),
            ("labels", one_name, "same name"),
            ("states", one_reference, "same external id"),
            ("labels", one_reference, "same external id"),
        ];
        for (kind, body_of, clash) in cases {
            let path = format!("{project}/{kind}/");
            let creations = (0..8).map(|i| {
                let client = if i % 2 == 0 { ada.clone() } else { bob.clone() };
                let (path, body) = (path.clone(), body_of(i));
                tokio::spawn(async move { client.post(&path, body).await })
            });
            let answers: Vec<Answer> = join_all(creations)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_answered(&answers, &[200, 201, 409]);
            let winners: Vec<&Answer> =
                answers.iter().filter(|a| a.status.as_u16() < 300).collect();
            assert_eq!(winners.len(), 1, "{kind} ({clash}): one creation wins");
            let winner_id = winners[0].body["id"].clone();
            for lost in answers.iter().filter(|a| a.status.as_u16() == 409) {
                // Lost at the check or at the insert: the same body, naming the winner.
                assert_eq!(lost.body["id"], winner_id, "{kind}: {}", lost.text);
                let error = lost.body["error"].as_str().unwrap_or_default();
                assert!(error.contains(clash), "{kind}: {}", lost.text);
            }
        }
    }
);

on_both_engines!(
    a_state_holding_work_items_cannot_be_deleted,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _gus, project) = setup(&app).await;
        let project_json = bob.get(&format!("{project}/")).await.expect(200);
        let states = format!("{project}/states/");
        let review = bob
            .post(&states, json!({"name": "Review", "color": "#aabbcc"}))
            .await
            .expect(200);
        let review_id = review["id"].as_str().unwrap();
        let review_path = format!("{states}{review_id}/");

        // A deleted work item does not hold its state; a live one does, for every role.
        let gone = app.work_item(&project_json, review_id).await;
        app.delete_work_item(gone).await;
        let held = app.work_item(&project_json, review_id).await;
        for caller in [&bob, &ada] {
            let refused = caller.delete(&review_path).await;
            assert_eq!(
                (refused.status.as_u16(), refused.body),
                (
                    400,
                    json!({"error": "The state is not empty, only empty states can be deleted"})
                )
            );
        }
        assert_eq!(bob.get(&review_path).await.expect(200)["name"], "Review");

        // Emptied, it goes.
        app.delete_work_item(held).await;
        assert_eq!(bob.delete(&review_path).await.status, 204);
        assert_eq!(bob.get(&review_path).await.status, 404);
    }
);
