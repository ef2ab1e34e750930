//! Wrong types, and ids of another workspace, inside request bodies: DRF's 400 bodies naming the
//! field, never a 500, and nothing written.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp, api::ApiClient},
};

/// Everything a refused write could have touched in the project, as its admin reads it.
async fn snapshot(client: &ApiClient, project: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("{project}/"),
        format!("{project}/states/"),
        format!("{project}/labels/"),
        format!("{project}/members/"),
        "/workspaces/acme/projects/".to_string(),
        "/workspaces/acme/invitations/".to_string(),
    ] {
        seen.push(client.get(&path).await.expect(200));
    }
    seen
}

on_both_engines!(
    wrong_types_and_foreign_ids_in_bodies_get_drfs_400,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let outsider = app.api_user("out@example.com").await;
        let guest = app.api_user("guest@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &guest, 5).await;
        app.workspace(&ada, "other").await;
        let pid = app.project(&ada, "acme", "WEB").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let project = format!("/workspaces/acme/projects/{pid}");
        // Rows of a project in another workspace (of the same owner).
        let fid = app.project(&ada, "other", "OTH").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let foreign = format!("/workspaces/other/projects/{fid}");
        let id_of = |answer: Value| answer["id"].as_str().unwrap().to_string();
        let foreign_state = ada.get(&format!("{foreign}/states/")).await.expect(200)["results"][0]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        let foreign_label = id_of(
            ada.post(&format!("{foreign}/labels/"), json!({"name": "Theirs"}))
                .await
                .expect(201),
        );
        let foreign_estimate = ada
            .post(
                &format!("{foreign}/estimates/"),
                json!({"name": "E", "type": "points"}),
            )
            .await;
        assert!(
            foreign_estimate.status.is_success(),
            "{}",
            foreign_estimate.text
        );
        let foreign_estimate = id_of(foreign_estimate.body);

        let before = snapshot(&ada, &project).await;
        let projects = "/workspaces/acme/projects/".to_string();
        let states = format!("{project}/states/");
        let labels = format!("{project}/labels/");
        let cases: Vec<(Method, String, Value, Value)> = vec![
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "module_view": "maybe"}),
                json!({"module_view": ["Must be a valid boolean."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "logo_props": {"in_use": "x".repeat(20_000)}}),
                json!({"logo_props": ["Ensure this field has no more than 16384 bytes of JSON."]}),
            ),
            (
                Method::PATCH,
                format!("{project}/"),
                json!({"icon_prop": ["y".repeat(20_000)]}),
                json!({"icon_prop": ["Ensure this field has no more than 16384 bytes of JSON."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "network": 1}),
                json!({"network": ["\"1\" is not a valid choice."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "project_lead": 5}),
                json!({"project_lead": ["Invalid pk \"5\" - object does not exist."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "project_lead": {"id": 1}}),
                json!({"project_lead": ["\u{201c}{'id': 1}\u{201d} is not a valid UUID."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "archive_in": "x"}),
                json!({"archive_in": ["A valid integer is required."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "   ", "identifier": "  "}),
                json!({"name": ["This field may not be blank."],
                       "identifier": ["This field may not be blank."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": ["x"], "identifier": true, "description": {"x": 1}}),
                json!({"name": ["Not a valid string."], "identifier": ["Not a valid string."],
                       "description": ["Not a valid string."]}),
            ),
            (
                Method::POST,
                projects.clone(),
                json!({"name": "X", "identifier": "X", "project_lead": outsider.user_id}),
                json!({"project_lead": ["The provided user is not a member of this workspace."]}),
            ),
            (
                Method::PATCH,
                format!("{project}/"),
                json!({"default_state": foreign_state}),
                json!({"non_field_errors": ["Default state should be a state in the project"]}),
            ),
            (
                Method::PATCH,
                format!("{project}/"),
                json!({"estimate": foreign_estimate}),
                json!({"non_field_errors": ["Estimate should be a estimate in the project"]}),
            ),
            (
                Method::POST,
                format!("{project}/members/"),
                json!({"member": outsider.user_id, "role": 15}),
                json!({"member": ["Member not found in workspace"]}),
            ),
            (
                Method::POST,
                states.clone(),
                json!({"name": "S", "color": "#000", "default": "x"}),
                json!({"default": ["Must be a valid boolean."]}),
            ),
            (
                Method::POST,
                labels.clone(),
                json!({"name": "L", "parent": 5}),
                json!({"parent": ["Invalid pk \"5\" - object does not exist."]}),
            ),
            (
                Method::POST,
                labels.clone(),
                json!({"name": "L", "parent": foreign_label}),
                json!({"parent": [format!("Invalid pk \"{foreign_label}\" - object does not exist.")]}),
            ),
            (
                Method::POST,
                "/workspaces/acme/invitations/".to_string(),
                json!({"email": "z@example.com", "role": "admin"}),
                // The model field has choices: DRF makes it a ChoiceField.
                json!({"role": ["\"admin\" is not a valid choice."]}),
            ),
        ];
        for (method, path, body, expected) in cases {
            let answer = ada.send(method.clone(), &path, Some(body.clone())).await;
            assert_eq!(
                (answer.status.as_u16(), answer.body),
                (400, expected),
                "{method} {path} {body}"
            );
        }
        // Who may not write is refused whatever the body holds, as in DRF; who may, gets the
        // field named.
        let nul = json!({"name": "a\u{0}b", "identifier": "NUL"});
        let refused = guest.post(&projects, nul.clone()).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        assert_eq!(
            ada.post(&projects, nul).await.body,
            json!({"name": ["Null characters are not allowed."]})
        );

        // Malformed JSON, and a body that is not JSON, on every writing route of this kind.
        let raw = reqwest::Client::new();
        for (method, path) in [
            (Method::POST, projects.clone()),
            (Method::PATCH, format!("{project}/")),
            (Method::PATCH, "/workspaces/acme/".to_string()),
            (Method::POST, states.clone()),
            (Method::POST, labels.clone()),
            (Method::POST, format!("{project}/members/")),
            (Method::POST, format!("{project}/estimates/")),
            (Method::POST, "/workspaces/acme/invitations/".to_string()),
        ] {
            let send = |content_type: &'static str, body: &'static str| {
                raw.request(method.clone(), app.url(&format!("/api/v1{path}")))
                    .header("X-Api-Key", &ada.token)
                    .header("Content-Type", content_type)
                    .body(body)
                    .send()
            };
            let broken = send("application/json", "{\"name\": ").await.unwrap();
            assert_eq!(broken.status(), 400, "{method} {path}");
            let body: Value = broken.json().await.unwrap();
            assert!(
                body["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("JSON parse error")),
                "{method} {path}: {body}"
            );
            let text = send("text/plain", "name=x").await.unwrap();
            assert_eq!(text.status(), 415, "{method} {path}");
            assert_eq!(
                text.json::<Value>().await.unwrap(),
                json!({"detail": "Unsupported media type \"text/plain\" in request."}),
                "{method} {path}"
            );
        }
        assert_eq!(
            snapshot(&ada, &project).await,
            before,
            "nothing was written"
        );
    }
);
