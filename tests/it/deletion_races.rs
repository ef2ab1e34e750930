//! A change that races the deletion of what it changes answers as one of the two orders would:
//! the change first (200, the object still live), or the deletion first (404) — never a 200
//! showing a deleted object, and never a 500.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    project_data::setup,
    support::{
        Engine, TestApp,
        api::{Answer, ApiClient},
    },
};

/// PATCHes `path` with `change` while `deleter` DELETEs `doomed`, both at once.
async fn race(
    changer: &ApiClient,
    path: String,
    change: Value,
    deleter: &ApiClient,
    doomed: String,
) -> (Answer, Answer) {
    let patch = {
        let changer = changer.clone();
        tokio::spawn(async move { changer.patch(&path, change).await })
    };
    let delete = {
        let deleter = deleter.clone();
        tokio::spawn(async move { deleter.delete(&doomed).await })
    };
    (patch.await.unwrap(), delete.await.unwrap())
}

fn assert_one_order(changed: &Answer, deleted: &Answer) {
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
    match changed.status.as_u16() {
        200 => assert!(
            changed.body["deleted_at"].is_null(),
            "a change answered for a deleted object: {}",
            changed.text
        ),
        404 => {}
        other => panic!("{other}: {}", changed.text),
    }
}

on_both_engines!(
    changes_racing_deletions_answer_in_one_order,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _, project) = setup(&app).await;
        for round in 0..4 {
            // A state renamed while it is deleted.
            let state = bob
                .post(
                    &format!("{project}/states/"),
                    json!({"name": format!("Doomed {round}"), "color": "#123", "group": "started"}),
                )
                .await
                .expect(200);
            let path = format!("{project}/states/{}/", state["id"].as_str().unwrap());
            let (changed, deleted) = race(
                &bob,
                path.clone(),
                json!({"name": format!("Renamed {round}")}),
                &bob,
                path,
            )
            .await;
            assert_one_order(&changed, &deleted);

            // The project's estimate renamed while it is deleted.
            let path = format!("{project}/estimates/");
            bob.post(
                &path,
                json!({"name": format!("Points {round}"), "type": "points"}),
            )
            .await
            .expect(201);
            let (changed, deleted) = race(
                &bob,
                path.clone(),
                json!({"name": format!("Sizes {round}")}),
                &bob,
                path,
            )
            .await;
            assert_one_order(&changed, &deleted);
        }

        // A workspace renamed while its owner deletes it.
        for round in 0..4 {
            let slug = format!("doomed-{round}");
            app.workspace(&ada, &slug).await;
            let path = format!("/workspaces/{slug}/");
            let (changed, deleted) = race(
                &ada,
                path.clone(),
                json!({"name": format!("Renamed {round}")}),
                &ada,
                path,
            )
            .await;
            assert_one_order(&changed, &deleted);
        }
    }
);
