//! Writes that race each other still keep the rules: one live default state per project, and
//! nothing left alive in a project that was deleted meanwhile. Requests run at once, on both
//! engines; every answer is one of the API's, never a 500.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    project_data::setup,
    support::{
        Engine, TestApp,
        api::{Answer, ApiClient},
    },
};

pub(crate) fn assert_answered(answers: &[Answer], allowed: &[u16]) {
    for answer in answers {
        assert!(
            allowed.contains(&answer.status.as_u16()),
            "{}: {}",
            answer.status,
            answer.text
        );
    }
}

/// POSTs every `(client, path, body)` while `deleter` DELETEs `doomed`: the deletion succeeds,
/// and each creation either lands first (200/201) or finds its parent gone — 404, or 403 when it
/// found the project and then the caller's membership already gone with it.
async fn race_deletion(
    creations: Vec<(ApiClient, String, Value)>,
    deleter: &ApiClient,
    doomed: String,
) {
    let creations = creations
        .into_iter()
        .map(|(client, path, body)| tokio::spawn(async move { client.post(&path, body).await }));
    let deletion = {
        let deleter = deleter.clone();
        tokio::spawn(async move { deleter.delete(&doomed).await })
    };
    let answers: Vec<Answer> = join_all(creations)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let deleted = deletion.await.unwrap();
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
    assert_answered(&answers, &[200, 201, 403, 404]);
}

/// No live row of `tables` is left in the workspace.
async fn assert_nothing_alive(app: &TestApp, tables: &[&str], workspace_id: uuid::Uuid) {
    for table in tables {
        let live = plane_aio::db::workspaces::live_rows(app.state.db(), table, workspace_id)
            .await
            .unwrap();
        assert_eq!(live, 0, "{table} rows left alive after the deletion");
    }
}

on_both_engines!(
    racing_default_changes_and_deletions_keep_one_live_default,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _, project) = setup(&app).await;
        let states = format!("{project}/states/");
        let mut racers = Vec::new();
        for i in 0..6 {
            let state = bob
                .post(
                    &states,
                    json!({"name": format!("Racer {i}"), "color": "#123", "group": "started"}),
                )
                .await
                .expect(200);
            racers.push(state["id"].as_str().unwrap().to_string());
        }

        // Each racer is made the state marked default, made the project's default state, and
        // deleted, all at once.
        let requests = racers.iter().flat_map(|id| {
            let path = format!("{states}{id}/");
            let (ada, bob, project) = (ada.clone(), bob.clone(), project.clone());
            let id = id.clone();
            [
                tokio::spawn({
                    let (bob, path) = (bob.clone(), path.clone());
                    async move { bob.patch(&path, json!({"default": true})).await }
                }),
                tokio::spawn(async move {
                    ada.patch(&format!("{project}/"), json!({"default_state": id}))
                        .await
                }),
                tokio::spawn(async move { bob.delete(&path).await }),
            ]
        });
        let answers: Vec<Answer> = join_all(requests)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        // 400: the default state cannot be deleted; 404: the state went first.
        assert_answered(&answers, &[200, 204, 400, 404]);

        let list = bob.get(&format!("{states}?per_page=100")).await.expect(200);
        let live: BTreeSet<&str> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        let defaults: Vec<&Value> = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["default"] == true)
            .collect();
        assert_eq!(defaults.len(), 1, "exactly one default: {list}");
        let default_state =
            ada.get(&format!("{project}/")).await.expect(200)["default_state"].clone();
        if let Some(id) = default_state.as_str() {
            assert!(
                live.contains(id),
                "the project's default state {id} was deleted"
            );
        }
        let deleted = racers
            .iter()
            .filter(|id| !live.contains(id.as_str()))
            .count();
        assert!(
            deleted > 0,
            "no deletion won any race: the test raced nothing"
        );
    }
);

on_both_engines!(
    nothing_stays_alive_in_a_project_deleted_meanwhile,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _, project) = setup(&app).await;
        let mut joiners = Vec::new();
        for i in 0..4 {
            let user = app.api_user(&format!("joiner{i}@example.com")).await;
            app.add_member("acme", &user, 15).await;
            joiners.push(user);
        }

        // States, labels, an estimate and project members created while the project is deleted.
        let mut creations = Vec::new();
        for i in 0..6 {
            creations.push((
                bob.clone(),
                format!("{project}/states/"),
                json!({"name": format!("Late {i}"), "color": "#123"}),
            ));
            creations.push((
                bob.clone(),
                format!("{project}/labels/"),
                json!({"name": format!("late {i}")}),
            ));
        }
        creations.push((
            bob.clone(),
            format!("{project}/estimates/"),
            json!({"name": "Points", "type": "points"}),
        ));
        for joiner in &joiners {
            creations.push((
                ada.clone(),
                format!("{project}/members/"),
                json!({"member": joiner.user_id, "role": 15}),
            ));
        }
        race_deletion(creations, &ada, format!("{project}/")).await;

        // The workspace holds this one project: nothing of it may be left alive.
        let db = app.state.db();
        let workspace = plane_aio::db::workspaces::by_slug(db, "acme")
            .await
            .unwrap()
            .unwrap();
        assert_nothing_alive(
            &app,
            plane_aio::db::workspaces::PROJECT_TABLES,
            workspace.id,
        )
        .await;
        ada.get(&format!("{project}/")).await.expect(404);
    }
);

on_both_engines!(
    nothing_stays_alive_in_a_workspace_deleted_meanwhile,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, _, _, _) = setup(&app).await;
        let db = app.state.db();
        let workspace_id = plane_aio::db::workspaces::by_slug(db, "acme")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut creations = Vec::new();
        for i in 0..5 {
            creations.push((
                ada.clone(),
                "/workspaces/acme/projects/".to_string(),
                json!({"name": format!("Late {i}"), "identifier": format!("LATE{i}")}),
            ));
            creations.push((
                ada.clone(),
                "/workspaces/acme/invitations/".to_string(),
                json!({"email": format!("late{i}@example.com"), "role": 15}),
            ));
        }
        race_deletion(creations, &ada, "/workspaces/acme/".to_string()).await;
        assert_nothing_alive(
            &app,
            plane_aio::db::workspaces::WORKSPACE_TABLES,
            workspace_id,
        )
        .await;
    }
);

on_both_engines!(
    a_workspace_and_its_projects_deleted_at_once_all_go_without_a_500,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, _, _, first) = setup(&app).await;
        let workspace_id = plane_aio::db::workspaces::by_slug(app.state.db(), "acme")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut projects = vec![first];
        for i in 0..5 {
            let project = app.project(&ada, "acme", &format!("DEL{i}")).await;
            let id = project["id"].as_str().unwrap();
            projects.push(format!("/workspaces/acme/projects/{id}"));
            ada.post(
                &format!("/workspaces/acme/projects/{id}/labels/"),
                json!({"name": "bug"}),
            )
            .await
            .expect(201);
        }
        // Each project deletion takes its project's row and then its children; the workspace
        // deletion takes its children, projects included: on Postgres the two must not deadlock
        // (a 500 for whichever Postgres aborts). A project deletion answers 204, or 404 when
        // the workspace went first, or 403 when it found the project and then the caller's
        // membership already gone with the workspace.
        let deletions = projects.into_iter().map(|path| {
            let ada = ada.clone();
            tokio::spawn(async move { ada.delete(&format!("{path}/")).await })
        });
        let workspace = {
            let ada = ada.clone();
            tokio::spawn(async move { ada.delete("/workspaces/acme/").await })
        };
        let answers: Vec<Answer> = join_all(deletions)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let workspace = workspace.await.unwrap();
        assert_eq!(workspace.status.as_u16(), 204, "{}", workspace.text);
        assert_answered(&answers, &[204, 403, 404]);
        assert_nothing_alive(
            &app,
            plane_aio::db::workspaces::WORKSPACE_TABLES,
            workspace_id,
        )
        .await;
    }
);

on_both_engines!(
    two_project_admins_stepping_down_at_once_leave_one_admin,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 20).await;
        let project = app.project(&ada, "acme", "WEB").await;
        let pid = project["id"].as_str().unwrap();
        let members = format!("/workspaces/acme/projects/{pid}/members/");
        ada.post(&members, json!({"member": bob.user_id, "role": 20}))
            .await
            .expect(201);
        for round in 0..4 {
            let leave = round % 2 == 0;
            let steps = [ada.clone(), bob.clone()].map(|client| {
                let members = members.clone();
                tokio::spawn(async move {
                    if leave {
                        client.post(&format!("{members}leave/"), json!({})).await
                    } else {
                        let own = format!("{members}{}/", client.user_id);
                        client.patch(&own, json!({"role": 15})).await
                    }
                })
            });
            let answers: Vec<Answer> = join_all(steps)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_answered(&answers, &[200, 204, 400]);
            let refused: Vec<usize> = (0..2).filter(|&i| answers[i].status == 400).collect();
            assert_eq!(refused.len(), 1, "round {round}: exactly one steps down");
            let (admin, other) = if refused[0] == 0 {
                (&ada, &bob)
            } else {
                (&bob, &ada)
            };
            let listed = admin.get(&members).await.expect(200);
            let admins: Vec<&Value> = listed
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["role"] == 20 && m["is_active"] == true)
                .collect();
            assert_eq!(admins.len(), 1, "round {round}: {listed}");
            assert_eq!(admins[0]["id"], admin.user_id.as_str(), "round {round}");
            // The one left standing brings the other back as an admin.
            if leave {
                admin
                    .post(&members, json!({"member": other.user_id, "role": 20}))
                    .await
                    .expect(201);
            } else {
                let row = format!("{members}{}/", other.user_id);
                admin.patch(&row, json!({"role": 20})).await.expect(200);
            }
        }
    }
);

on_both_engines!(
    labels_nested_while_their_parent_goes_or_moves_never_dangle_or_loop,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _, project) = setup(&app).await;
        let labels = format!("{project}/labels/");
        for round in 0..3 {
            let parent = ada
                .post(&labels, json!({"name": format!("parent {round}")}))
                .await
                .expect(201);
            let parent_id = parent["id"].as_str().unwrap().to_string();
            let creations = (0..6).map(|i| {
                let client = if i % 2 == 0 { ada.clone() } else { bob.clone() };
                let (labels, parent_id) = (labels.clone(), parent_id.clone());
                tokio::spawn(async move {
                    let body = json!({"name": format!("child {round}.{i}"), "parent": parent_id});
                    client.post(&labels, body).await
                })
            });
            let deletion = {
                let (ada, path) = (ada.clone(), format!("{labels}{parent_id}/"));
                tokio::spawn(async move { ada.delete(&path).await })
            };
            let answers: Vec<Answer> = join_all(creations)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(deletion.await.unwrap().status, 204);
            // Created before the deletion (and deleted with it), or refused after it.
            assert_answered(&answers, &[201, 400]);
            let live = ada.get(&labels).await.expect(200);
            let live = live["results"].as_array().unwrap();
            let ids: BTreeSet<&str> = live.iter().filter_map(|l| l["id"].as_str()).collect();
            for label in live {
                if let Some(parent) = label["parent"].as_str() {
                    assert!(ids.contains(parent), "round {round}: {label} dangles");
                }
            }
        }

        // Two labels nested under each other at once: one nesting wins, no loop.
        let a = ada.post(&labels, json!({"name": "A"})).await.expect(201);
        let b = ada.post(&labels, json!({"name": "B"})).await.expect(201);
        let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        let moves = [(a_id, b_id), (b_id, a_id)].map(|(label, parent)| {
            let (client, path) = (ada.clone(), format!("{labels}{label}/"));
            let body = json!({"parent": parent});
            tokio::spawn(async move { client.patch(&path, body).await })
        });
        let answers: Vec<Answer> = join_all(moves)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_answered(&answers, &[200, 400]);
        let statuses: BTreeSet<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        assert_eq!(statuses, BTreeSet::from([200, 400]));
    }
);

on_both_engines!(
    stepping_down_in_a_project_while_its_other_admin_leaves_the_workspace_keeps_an_admin,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        let bob = app.api_user("bob@example.com").await;
        let cy = app.api_user("cy@example.com").await;
        app.workspace(&ada, "acme").await;
        app.add_member("acme", &bob, 20).await;
        app.add_member("acme", &cy, 20).await;
        // Bob's project, with Cy as its other admin (Ada, the owner, is not in it).
        let project = app.project(&bob, "acme", "WEB").await;
        let pid = project["id"].as_str().unwrap();
        let members = format!("/workspaces/acme/projects/{pid}/members/");
        bob.post(&members, json!({"member": cy.user_id, "role": 20}))
            .await
            .expect(201);

        let step_down = {
            let (bob, own) = (bob.clone(), format!("{members}{}/", bob.user_id));
            tokio::spawn(async move { bob.patch(&own, json!({"role": 15})).await })
        };
        let removal = {
            let (ada, path) = (
                ada.clone(),
                format!("/workspaces/acme/members/{}/", cy.user_id),
            );
            tokio::spawn(async move { ada.delete(&path).await })
        };
        let answers = [step_down.await.unwrap(), removal.await.unwrap()];
        assert_answered(&answers, &[200, 204, 400]);
        let refused = answers.iter().filter(|a| a.status == 400).count();
        assert_eq!(refused, 1, "exactly one of the two goes through");
        let listed = ada.get(&members).await.expect(200);
        let admins = listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == 20 && m["is_active"] == true)
            .count();
        assert_eq!(admins, 1, "{listed}");
    }
);

on_both_engines!(
    members_changed_while_their_workspace_is_deleted_answer_without_a_500,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        app.workspace(&ada, "acme").await;
        let workspace_id = plane_aio::db::workspaces::by_slug(app.state.db(), "acme")
            .await
            .unwrap()
            .unwrap()
            .id;
        // Each member administers a project of Ada's beside her, so lowering their role or
        // removing them goes through: it locks that project and then their membership rows,
        // while the deletion locks the memberships and then the projects.
        let mut members = Vec::new();
        for (i, name) in ["bob", "cy", "dan", "eve", "fay", "gus"].iter().enumerate() {
            let member = app.api_user(&format!("{name}@example.com")).await;
            app.add_member("acme", &member, 20).await;
            let project = app.project(&ada, "acme", &format!("RACE{i}")).await;
            let pid = project["id"].as_str().unwrap();
            ada.post(
                &format!("/workspaces/acme/projects/{pid}/members/"),
                json!({"member": member.user_id, "role": 20}),
            )
            .await
            .expect(201);
            members.push(member.user_id);
        }
        let changes = members.iter().enumerate().map(|(i, user_id)| {
            let ada = ada.clone();
            let path = format!("/workspaces/acme/members/{user_id}/");
            tokio::spawn(async move {
                if i % 2 == 0 {
                    ada.patch(&path, json!({"role": 15})).await
                } else {
                    ada.delete(&path).await
                }
            })
        });
        let deletion = {
            let ada = ada.clone();
            tokio::spawn(async move { ada.delete("/workspaces/acme/").await })
        };
        let answers: Vec<Answer> = join_all(changes)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let deleted = deletion.await.unwrap();
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
        // Done before the deletion, or the workspace (and with it Ada's standing) found gone.
        assert_answered(&answers, &[200, 204, 403, 404]);
        assert_nothing_alive(
            &app,
            plane_aio::db::workspaces::WORKSPACE_TABLES,
            workspace_id,
        )
        .await;
    }
);

on_both_engines!(
    project_memberships_changed_while_their_workspace_is_deleted_answer_without_a_500,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let ada = app.api_user("ada@example.com").await;
        app.workspace(&ada, "acme").await;
        let project = app.project(&ada, "acme", "WEB").await;
        let members = format!(
            "/workspaces/acme/projects/{}/members/",
            project["id"].as_str().unwrap()
        );
        // Half already in the project (their roles change), half being added.
        let mut writes = Vec::new();
        for (i, name) in ["bob", "cy", "dan", "eve", "fay", "gus"].iter().enumerate() {
            let user = app.api_user(&format!("{name}@example.com")).await;
            app.add_member("acme", &user, 15).await;
            if i % 2 == 0 {
                ada.post(&members, json!({"member": user.user_id, "role": 15}))
                    .await
                    .expect(201);
                let path = format!("{members}{}/", user.user_id);
                writes.push((path, json!({"role": 5}), true));
            } else {
                writes.push((
                    members.clone(),
                    json!({"member": user.user_id, "role": 15}),
                    false,
                ));
            }
        }
        let changes = writes.into_iter().map(|(path, body, patch)| {
            let ada = ada.clone();
            tokio::spawn(async move {
                if patch {
                    ada.patch(&path, body).await
                } else {
                    ada.post(&path, body).await
                }
            })
        });
        let deletion = {
            let ada = ada.clone();
            tokio::spawn(async move { ada.delete("/workspaces/acme/").await })
        };
        let answers: Vec<Answer> = join_all(changes)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let deleted = deletion.await.unwrap();
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
        assert_answered(&answers, &[200, 201, 403, 404]);
    }
);
