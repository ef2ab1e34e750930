//! Who sees which project over `/api/v1/`: public and secret networks, memberships, guests, the
//! list's orders and `projects-lite/`.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["identifier"].as_str().unwrap().to_string())
        .collect()
}

on_both_engines!(who_sees_which_project, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let ada = app.api_user("ada@example.com").await;
    let bob = app.api_user("bob@example.com").await;
    let guest = app.api_user("guest@example.com").await;
    app.workspace(&ada, "acme").await;
    app.add_member("acme", &bob, 15).await;
    app.add_member("acme", &guest, 5).await;
    let public = app.project(&ada, "acme", "PUB").await;
    let secret = ada
        .post(
            "/workspaces/acme/projects/",
            json!({"name": "Secret", "identifier": "SEC", "network": 0}),
        )
        .await
        .expect(201);
    let mine = app.project(&bob, "acme", "BOB").await;

    // Bob: his project and the public one, not the secret one.
    let list = bob.get("/workspaces/acme/projects/").await.expect(200);
    assert_eq!(ids(&list["results"]), ["BOB", "PUB"]);
    assert_eq!(list["total_count"], 2, "the secret project is not counted");
    assert_eq!(list["results"][0]["sort_order"], 65535.0);
    assert_eq!(list["results"][0]["is_member"], true);
    assert_eq!(list["results"][1]["is_member"], false);
    // Present and null for a project the caller is not a member of, as Plane's list.
    assert_eq!(list["results"][1].get("sort_order"), Some(&Value::Null));
    let secret_id = secret["id"].as_str().unwrap();
    let hidden = bob
        .get(&format!("/workspaces/acme/projects/{secret_id}/"))
        .await;
    let unknown = bob
        .get(&format!(
            "/workspaces/acme/projects/{}/",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(
        hidden.body,
        json!({"error": "The requested resource does not exist."})
    );
    assert_eq!((hidden.status, hidden.body), (unknown.status, unknown.body));
    // A guest sees only projects they are in: none yet.
    assert_eq!(
        guest.get("/workspaces/acme/projects/").await.expect(200)["total_count"],
        0
    );

    // Ada's own order: the newest project first (Plane: lowest sort order − 10000).
    let list = ada.get("/workspaces/acme/projects/").await.expect(200);
    assert_eq!(ids(&list["results"]), ["SEC", "PUB", "BOB"]);
    assert_eq!(list["total_count"], 3, "her secret project counts");
    let by_name = ada
        .get("/workspaces/acme/projects/?order_by=-name")
        .await
        .expect(200);
    assert_eq!(ids(&by_name["results"]), ["SEC", "PUB", "BOB"]);
    let by_identifier = ada
        .get("/workspaces/acme/projects/?order_by=identifier&per_page=2")
        .await
        .expect(200);
    assert_eq!(ids(&by_identifier["results"]), ["BOB", "PUB"]);
    assert_eq!(by_identifier["total_pages"], 2);
    // Any field of the project's a client sees; NULLs placed as Postgres places them.
    let by_network = ada
        .get("/workspaces/acme/projects/?order_by=network")
        .await
        .expect(200);
    assert_eq!(ids(&by_network["results"])[0], "SEC", "secret (0) first");
    let theirs_first = ada
        .get("/workspaces/acme/projects/?order_by=-sort_order")
        .await
        .expect(200);
    assert_eq!(
        ids(&theirs_first["results"]),
        ["BOB", "PUB", "SEC"],
        "going down, the project Ada is not in (no sort order of hers) comes first"
    );
    assert_eq!(
        ada.get("/workspaces/acme/projects/?order_by=nonsense")
            .await
            .body,
        json!({"detail": "Invalid order_by parameter."})
    );
    assert_eq!(
        ada.get("/workspaces/acme/projects/?per_page=1001")
            .await
            .body,
        json!({"detail": "Invalid per_page value. Cannot exceed 1000."})
    );

    // fields= and expand=.
    let shaped = ada
            .get("/workspaces/acme/projects/?fields=id,identifier,workspace,project_lead&expand=workspace")
            .await
            .expect(200);
    let first = &shaped["results"][0];
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "identifier", "workspace", "project_lead"]
    );
    assert_eq!(first["workspace"]["slug"], "acme");
    assert_eq!(first["workspace"].as_object().unwrap().len(), 3, "{first}");
    let mine_id = mine["id"].as_str().unwrap();
    let states = bob
        .get(&format!("/workspaces/acme/projects/{mine_id}/states/"))
        .await
        .expect(200);
    let todo = states["results"][1]["id"].clone();
    bob.patch(
        &format!("/workspaces/acme/projects/{mine_id}/"),
        json!({ "default_state": todo }),
    )
    .await
    .expect(200);
    let expanded = ada
        .get(&format!(
            "/workspaces/acme/projects/{mine_id}/?expand=created_by,default_state"
        ))
        .await;
    // Ada is not in Bob's public project but sees it.
    let expanded = expanded.expect(200);
    assert_eq!(expanded["created_by"]["email"], "bob@example.com");
    // Plane's expansion map has no `default_state`: it stays the id.
    assert_eq!(expanded["default_state"], todo, "{expanded}");
    assert_eq!(expanded["is_member"], false);

    // Archived projects stay in the list; projects-lite leaves them out by default.
    let public_id = public["id"].as_str().unwrap();
    assert_eq!(
        ada.post(
            &format!("/workspaces/acme/projects/{public_id}/archive/"),
            json!({})
        )
        .await
        .status,
        204
    );
    let list = ada.get("/workspaces/acme/projects/").await.expect(200);
    assert_eq!(list["total_count"], 3);
    let lite = ada.get("/workspaces/acme/projects-lite/").await.expect(200);
    assert_eq!(ids(&lite["results"]), ["SEC", "BOB"]);
    assert_eq!(
        lite["total_count"], 2,
        "the archived project is not counted"
    );
    assert_eq!(
        lite["results"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        [
            "id",
            "identifier",
            "name",
            "cover_image",
            "icon_prop",
            "emoji",
            "description",
            "cover_image_url",
            "archived_at"
        ]
    );
    let all = ada
        .get("/workspaces/acme/projects-lite/?include_archived=true")
        .await
        .expect(200);
    assert_eq!(all["total_count"], 3);
});
