//! A project's estimate and its points over `/api/v1/`.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    project_data::setup,
    support::{Engine, TestApp, api::ApiClient},
};

const KEY_TAKEN: &str = "estimate point with this key already exists.";
const VALUE_TAKEN: &str = "estimate point with this value already exists.";

on_both_engines!(
    an_estimate_per_project_with_points,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_ada, bob, gus, project) = setup(&app).await;
        let estimates = format!("{project}/estimates/");

        assert_eq!(
            bob.get(&estimates).await.body,
            json!({"error": "Estimate not found"})
        );
        let created = bob
            .post(
                &estimates,
                json!({"name": "Story points", "type": "points"}),
            )
            .await
            .expect(201);
        assert_eq!(created["type"], "points");
        let eid = created["id"].as_str().unwrap();
        assert_eq!(
            bob.post(&estimates, json!({"name": "Again"})).await.body,
            json!({"error": "An estimate already exists for this project", "id": eid})
        );
        assert_eq!(
            bob.patch(&estimates, json!({"name": "Points", "type": "time"}))
                .await
                .expect(200)["type"],
            "points",
            "only name and description change"
        );

        let points = format!("{estimates}{eid}/estimate-points/");
        assert_eq!(
            bob.post(&points, json!([])).await.body,
            json!({"error": "Estimate points are required"})
        );
        let refused = bob
            .post(
                &points,
                json!([{"key": 1, "value": "1"}, {"key": -1, "value": "x".repeat(21)},
                       {"key": 2, "value": "x".repeat(21)}]),
            )
            .await;
        assert_eq!(refused.status, 400);
        // Field checks first (255 characters at most); Plane's 20 only once they pass.
        assert_eq!(
            refused.body,
            json!([{}, {"key": ["Ensure this value is greater than or equal to 0."]},
                   {"non_field_errors": ["Value can't be more than 20 characters"]}])
        );
        assert_eq!(
            bob.get(&points).await.expect(200),
            json!([]),
            "all or nothing"
        );
        let made = bob
        .post(&points, json!([{"key": 2, "value": "3"}, {"key": 1, "value": "1"}, {"key": 3, "value": "5"}]))
        .await
        .expect(201);
        assert_eq!(made.as_array().unwrap().len(), 3);
        let list = bob.get(&points).await.expect(200);
        let values: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, ["1", "3", "5"]);
        let point = format!("{points}{}/", list[2]["id"].as_str().unwrap());
        assert_eq!(
            bob.patch(&point, json!({"value": "8"})).await.expect(200)["value"],
            "8"
        );
        // A body with nothing Plane lets a client change answers the point as it is.
        let unchanged = bob
            .patch(
                &point,
                json!({"external_id": "x", "external_source": "jira"}),
            )
            .await
            .expect(200);
        assert_eq!(
            (&unchanged["value"], &unchanged["external_id"]),
            (&json!("8"), &Value::Null)
        );
        assert_eq!(bob.patch(&point, json!({})).await.expect(200)["value"], "8");
        assert_eq!(bob.delete(&point).await.status, 204);
        assert_eq!(
            bob.patch(&point, json!({"value": "8"})).await.body,
            json!({"error": "Estimate point not found"})
        );
        assert_eq!(
            gus.post(&points, json!([{"value": "13"}])).await.status,
            403
        );
        assert_eq!(gus.get(&points).await.status, 200);

        // The project uses it until it is deleted.
        let project_path = format!("{project}/");
        assert_eq!(
            bob.patch(&project_path, json!({"estimate": eid}))
                .await
                .status,
            403,
            "members do not manage the project"
        );
        let ada = app.api_user("ada@example.com").await;
        assert_eq!(
            ada.patch(&project_path, json!({"estimate": eid}))
                .await
                .expect(200)["estimate"],
            eid
        );
        assert_eq!(bob.delete(&estimates).await.status, 204);
        assert_eq!(
            ada.get(&project_path).await.expect(200)["estimate"],
            Value::Null
        );
        assert_eq!(bob.get(&points).await.status, 404);
    }
);

/// The points' `(key, value)` pairs, by key.
async fn pairs(client: &ApiClient, points: &str) -> Vec<(i64, String)> {
    client
        .get(points)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_i64().unwrap(),
                p["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

on_both_engines!(
    points_take_free_keys_and_stay_unique,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, _gus, project) = setup(&app).await;
        let estimates = format!("{project}/estimates/");
        let eid = bob
            .post(
                &estimates,
                json!({"name": "Story points", "type": "points"}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        let points = format!("{estimates}{eid}/estimate-points/");

        // Without a key, a point takes the next one after those the estimate has.
        let made = bob
            .post(&points, json!([{"value": "1"}, {"value": "2"}]))
            .await
            .expect(201);
        assert_eq!(made[0]["key"], 1);
        assert_eq!(made[1]["key"], 2);
        assert_eq!(
            bob.post(&points, json!([{"value": "3"}])).await.expect(201)[0]["key"],
            3
        );

        // Keys and values are unique in the estimate, within a request too; points are
        // numbers. Nothing is added when any item is refused.
        for (body, errors) in [
            (
                json!([{"key": 2, "value": "5"}]),
                json!([{"key": [KEY_TAKEN]}]),
            ),
            (json!([{"value": "2.0"}]), json!([{"value": [VALUE_TAKEN]}])),
            (
                json!([{"value": "8"}, {"key": 9, "value": "8"}, {"key": 9, "value": "13"}]),
                json!([{}, {"value": [VALUE_TAKEN]}, {"key": [KEY_TAKEN]}]),
            ),
            (
                json!([{"value": "big"}]),
                json!([{"value": ["A valid number is required."]}]),
            ),
        ] {
            let answer = bob.post(&points, body.clone()).await;
            assert_eq!(
                (answer.status.as_u16(), answer.body),
                (400, errors),
                "{body}"
            );
        }
        let three = [(1, "1"), (2, "2"), (3, "3")].map(|(k, v)| (k, v.to_string()));
        assert_eq!(pairs(&bob, &points).await, three);

        // A change is held to the same rules.
        let list = bob.get(&points).await.expect(200);
        let third = format!("{points}{}/", list[2]["id"].as_str().unwrap());
        for (body, errors) in [
            (json!({"key": 1}), json!({"key": [KEY_TAKEN]})),
            (json!({"value": "1"}), json!({"value": [VALUE_TAKEN]})),
            (
                json!({"value": "lots"}),
                json!({"value": ["A valid number is required."]}),
            ),
        ] {
            let answer = bob.patch(&third, body.clone()).await;
            assert_eq!(
                (answer.status.as_u16(), answer.body),
                (400, errors),
                "{body}"
            );
        }
        let changed = bob
            .patch(&third, json!({"key": 5, "value": "13"}))
            .await
            .expect(200);
        assert_eq!(
            (changed["key"].clone(), changed["value"].clone()),
            (json!(5), json!("13"))
        );
        assert_eq!(
            bob.post(&points, json!([{"value": "21"}]))
                .await
                .expect(201)[0]["key"],
            6
        );

        // Categories are any text, still unique.
        let other = app.project(&ada, "acme", "OPS").await;
        let other_estimates = format!(
            "/workspaces/acme/projects/{}/estimates/",
            other["id"].as_str().unwrap()
        );
        let sizes = ada
            .post(&other_estimates, json!({"name": "Sizes"}))
            .await
            .expect(201);
        assert_eq!(sizes["type"], "categories");
        let size_points = format!(
            "{other_estimates}{}/estimate-points/",
            sizes["id"].as_str().unwrap()
        );
        ada.post(&size_points, json!([{"value": "S"}, {"value": "M"}]))
            .await
            .expect(201);
        assert_eq!(
            ada.post(&size_points, json!([{"value": "M"}])).await.body,
            json!([{"value": [VALUE_TAKEN]}])
        );
        assert_eq!(
            pairs(&ada, &size_points).await,
            [(1, "S".to_string()), (2, "M".to_string())]
        );
    }
);

on_both_engines!(
    an_estimate_holds_at_most_a_hundred_points,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_ada, bob, _gus, project) = setup(&app).await;
        let estimates = format!("{project}/estimates/");
        let created = bob
            .post(&estimates, json!({"name": "Sizes", "type": "categories"}))
            .await
            .expect(201);
        let points = format!(
            "{estimates}{}/estimate-points/",
            created["id"].as_str().unwrap()
        );
        let named = |range: std::ops::Range<usize>| -> Value {
            range.map(|i| json!({"value": format!("S{i}")})).collect()
        };
        let too_many = json!({"error": "An estimate has at most 100 points"});
        // One list over the cap is refused before anything is looked at.
        assert_eq!(bob.post(&points, named(0..101)).await.body, too_many);
        // Within it, then over it together with what is there: all or none.
        bob.post(&points, named(0..60)).await.expect(201);
        let refused = bob.post(&points, named(60..101)).await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.body, too_many);
        let listed = bob.get(&points).await.expect(200);
        assert_eq!(listed.as_array().map(Vec::len), Some(60), "{listed}");
        bob.post(&points, named(60..100)).await.expect(201);
    }
);
