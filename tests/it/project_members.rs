//! A project's members over `/api/v1/`: adding, roles, removal, leaving, and joining a public
//! project.

use serde_json::json;

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(project_members_and_joining, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let ada = app.api_user("ada@example.com").await;
    let bob = app.api_user("bob@example.com").await;
    let guest = app.api_user("guest@example.com").await;
    let outsider = app.api_user("out@example.com").await;
    app.workspace(&ada, "acme").await;
    app.add_member("acme", &bob, 15).await;
    app.add_member("acme", &guest, 5).await;
    let project = app.project(&ada, "acme", "WEB").await;
    let pid = project["id"].as_str().unwrap();
    let members = format!("/workspaces/acme/projects/{pid}/members/");

    for (body, expected) in [
        (
            json!({"member": outsider.user_id, "role": 15}),
            json!({"member": ["Member not found in workspace"]}),
        ),
        (
            json!({"member": guest.user_id, "role": 20}),
            json!({"role": ["The role cannot be higher than the member's workspace role"]}),
        ),
        (
            json!({"member": bob.user_id, "role": 7}),
            json!({"role": ["\"7\" is not a valid choice."]}),
        ),
        (
            json!({"member": bob.user_id, "role": 15.0}),
            json!({"role": ["\"15.0\" is not a valid choice."]}),
        ),
        (
            json!({"role": 15}),
            json!({"member": ["This field is required."]}),
        ),
    ] {
        let answer = ada.post(&members, body.clone()).await;
        assert_eq!(
            (answer.status.as_u16(), answer.body),
            (400, expected),
            "{body}"
        );
    }
    let added = ada
        .post(&members, json!({"member": bob.user_id, "role": 15}))
        .await
        .expect(201);
    assert_eq!(
        added.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "member", "role"]
    );
    assert_eq!(added["member"], bob.user_id.as_str());
    assert_eq!(
        ada.post(&members, json!({"member": bob.user_id, "role": 15}))
            .await
            .body,
        json!({"member": ["The user is already a member of the project"]})
    );
    // Without a role, a guest (the model's default, as DRF applies it).
    let guest_row = ada
        .post(
            &format!("/workspaces/acme/projects/{pid}/project-members/"),
            json!({"member": guest.user_id}),
        )
        .await
        .expect(201);
    assert_eq!(guest_row["role"], 5);
    // A change without a role changes nothing (a partial update).
    let unchanged = ada
        .patch(
            &format!("{members}{}/", guest_row["id"].as_str().unwrap()),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(unchanged, guest_row);
    // Members are not project admins.
    assert_eq!(
        bob.post(&members, json!({"member": guest.user_id, "role": 5}))
            .await
            .status,
        403
    );
    let row = format!("{members}{}/", added["id"].as_str().unwrap());
    assert_eq!(
        ada.patch(&row, json!({"role": 5})).await.expect(200)["role"],
        5
    );
    // Addressed by user id too.
    assert_eq!(
        ada.get(&format!("{members}{}/", bob.user_id))
            .await
            .expect(200)["role"],
        5
    );
    // The last admin stays one.
    let ada_row = format!("{members}{}/", ada.user_id);
    assert_eq!(
        ada.patch(&ada_row, json!({"role": 15})).await.body,
        json!({"error": "The project needs at least one admin"})
    );
    assert_eq!(
        ada.post(&format!("{members}leave/"), json!({}))
            .await
            .status,
        400
    );
    // Removing keeps the row, inactive; the member loses access. Removing again changes
    // nothing and succeeds (Plane's DELETE sets the flag again).
    assert_eq!(ada.delete(&row).await.status, 204);
    assert_eq!(ada.delete(&row).await.status, 204);
    assert_eq!(
        bob.get(&format!("/workspaces/acme/projects/{pid}/states/"))
            .await
            .status,
        403
    );
    let list = ada.get(&members).await.expect(200);
    // Newest account first, as Plane lists the members' `User` rows.
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        ["guest@example.com", "bob@example.com", "ada@example.com"]
    );
    let bob_row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "bob@example.com")
        .unwrap();
    assert_eq!(bob_row["is_active"], false);
    let lite = ada
        .get(&format!(
            "/workspaces/acme/projects/{pid}/project-members-lite/?is_active=true"
        ))
        .await
        .expect(200);
    assert_eq!(lite["total_count"], 2);

    // Joining: public projects for workspace members, with their workspace role.
    let joined = bob
        .post(&format!("/workspaces/acme/projects/{pid}/join/"), json!({}))
        .await
        .expect(201);
    assert_eq!(joined["role"], 15);
    assert_eq!(
        bob.post(&format!("/workspaces/acme/projects/{pid}/join/"), json!({}))
            .await
            .body,
        json!({"error": "You are already a member of this project"})
    );
    // The guest leaves; guests cannot join by themselves.
    assert_eq!(
        guest
            .post(&format!("{members}leave/"), json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        guest
            .post(&format!("/workspaces/acme/projects/{pid}/join/"), json!({}))
            .await
            .status,
        403
    );
    let secret = ada
        .post(
            "/workspaces/acme/projects/",
            json!({"name": "Secret", "identifier": "SEC", "network": 0}),
        )
        .await
        .expect(201);
    let sid = secret["id"].as_str().unwrap();
    assert_eq!(
        bob.post(&format!("/workspaces/acme/projects/{sid}/join/"), json!({}))
            .await
            .status,
        404
    );
    // An archived project's members are read-only, like the rest of it.
    let project = format!("/workspaces/acme/projects/{pid}/");
    ada.post(&format!("{project}archive/"), json!({}))
        .await
        .expect(204);
    let before = ada.get(&members).await.expect(200);
    let refused = json!({"error": "Archived project cannot be updated"});
    let add = ada
        .post(&members, json!({"member": guest.user_id, "role": 5}))
        .await;
    assert_eq!((add.status.as_u16(), add.body), (400, refused.clone()));
    let bob_row = format!("{members}{}/", bob.user_id);
    let change = ada.patch(&bob_row, json!({"role": 5})).await;
    assert_eq!(
        (change.status.as_u16(), change.body),
        (400, refused.clone())
    );
    let remove = ada.delete(&bob_row).await;
    assert_eq!((remove.status.as_u16(), remove.body), (400, refused));
    assert_eq!(ada.get(&members).await.expect(200), before);
    // A member's own choices stay open there: leaving, and joining (a public project) again.
    assert_eq!(
        bob.post(&format!("{members}leave/"), json!({}))
            .await
            .status,
        204
    );
    let joined = bob
        .post(&format!("{project}join/"), json!({}))
        .await
        .expect(201);
    assert_eq!(joined["role"], 15);
});

on_both_engines!(
    adding_one_member_several_times_at_once_adds_them_once,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let cy = app.api_user("cy@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 15).await;
        app.add_member("acme", &cy, 15).await;
        let project = app.project(&ada, "acme", "WEB").await;
        let pid = project["id"].as_str().unwrap();
        let members = format!("/workspaces/acme/projects/{pid}/members/");
        ada.patch(
            &format!("/workspaces/acme/projects/{pid}/"),
            json!({"network": 2}),
        )
        .await
        .expect(200);

        // A double-click, five times over: one addition, the rest told the user is in.
        let additions = (0..5).map(|_| {
            let (ada, members, member) = (ada.clone(), members.clone(), bob.user_id.clone());
            tokio::spawn(async move {
                ada.post(&members, json!({"member": member, "role": 15}))
                    .await
            })
        });
        // And Cy joining the public project twice at once while Ada adds Cy.
        let join = format!("/workspaces/acme/projects/{pid}/join/");
        let joins = (0..2).map(|_| {
            let (cy, join) = (cy.clone(), join.clone());
            tokio::spawn(async move { cy.post(&join, json!({})).await })
        });
        let add_cy = {
            let (ada, members, member) = (ada.clone(), members.clone(), cy.user_id.clone());
            tokio::spawn(async move {
                ada.post(&members, json!({"member": member, "role": 15}))
                    .await
            })
        };
        let mut answers = futures_util::future::join_all(additions.chain(joins)).await;
        answers.push(add_cy.await);
        let statuses: Vec<u16> = answers
            .into_iter()
            .map(|a| {
                let a = a.unwrap();
                assert!([200, 201, 400].contains(&a.status.as_u16()), "{}", a.text);
                a.status.as_u16()
            })
            .collect();
        let done = statuses.iter().filter(|s| **s != 400).count();
        assert_eq!(done, 2, "one addition of Bob and one of Cy: {statuses:?}");
        let listed = ada.get(&members).await.expect(200);
        let rows = listed.as_array().unwrap();
        for user in [&bob.user_id, &cy.user_id] {
            let theirs = rows.iter().filter(|m| m["id"] == json!(user)).count();
            assert_eq!(theirs, 1, "{listed}");
        }
    }
);

on_both_engines!(
    a_member_demoted_while_creating_a_project_never_becomes_a_guest_admin,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        app.workspace(&ada, "acme").await;
        for round in 0..6 {
            let bob = app.api_user(&format!("bob{round}@example.com")).await;
            app.add_member("acme", &bob, 15).await;
            let create = {
                let bob = bob.clone();
                tokio::spawn(async move {
                    bob.post(
                        "/workspaces/acme/projects/",
                        json!({"name": format!("Race {round}"), "identifier": format!("RACE{round}")}),
                    )
                    .await
                })
            };
            let demote = {
                let (ada, path) = (
                    ada.clone(),
                    format!("/workspaces/acme/members/{}/", bob.user_id),
                );
                tokio::spawn(async move { ada.patch(&path, json!({"role": 5})).await })
            };
            let (created, demoted) = (create.await.unwrap(), demote.await.unwrap());
            match (created.status.as_u16(), demoted.status.as_u16()) {
                // The creation first: Bob is its only admin, so he cannot become a guest.
                (201, 400) => {}
                // The demotion first: a guest may not create projects.
                (403, 200) => {}
                other => panic!("{other:?}: {} / {}", created.text, demoted.text),
            }
        }
    }
);

on_both_engines!(
    a_project_admin_who_is_a_workspace_member_manages_only_those_below,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let cy = app.api_user("cy@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 15).await;
        app.add_member("acme", &cy, 15).await;
        // Bob, a workspace member, creates the project and is its admin; Ada (the workspace's
        // admin) joins it as an admin too, Cy as a member.
        let pid = app.project(&bob, "acme", "BOB").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let members = format!("/workspaces/acme/projects/{pid}/members/");
        let row = |added: serde_json::Value| format!("{members}{}/", added["id"].as_str().unwrap());
        let ada_row = row(bob
            .post(&members, json!({"member": ada.user_id, "role": 20}))
            .await
            .expect(201));
        let cy_row = row(bob
            .post(&members, json!({"member": cy.user_id, "role": 15}))
            .await
            .expect(201));
        assert_eq!(
            bob.patch(&ada_row, json!({"role": 15})).await.body,
            json!({"error": "You cannot update a role that is higher than your own role"})
        );
        assert_eq!(
            bob.delete(&ada_row).await.body,
            json!({"error": "You cannot remove a user having role higher than you"})
        );
        assert_eq!(
            ada.get(&ada_row).await.expect(200)["role"],
            20,
            "Ada is still an admin"
        );
        // Below him, Bob manages.
        assert_eq!(
            bob.patch(&cy_row, json!({"role": 5})).await.expect(200)["role"],
            5
        );
        assert_eq!(bob.delete(&cy_row).await.status, 204);
    }
);
