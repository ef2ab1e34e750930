//! The signed-in user's profile and avatar, and who may touch the instance settings.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(
    a_user_edits_their_profile_and_avatar,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let resp = admin
        .patch("/api/users/me/", json!({"first_name": " Grace ", "display_name": "grace", "user_timezone": "Europe/Paris"}))
        .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let me: Value = resp.json().await.unwrap();
        assert_eq!(
            (me["first_name"].as_str(), me["user_timezone"].as_str()),
            (Some("Grace"), Some("Europe/Paris"))
        );
        assert_eq!(me["last_name"], "Admin", "untouched");

        for (body, field) in [
            (json!({"user_timezone": "Mars/Olympus"}), "user_timezone"),
            (json!({"display_name": "  "}), "display_name"),
            // Postgres cannot store a NUL: refused before the database sees it.
            (json!({"first_name": "Gr\u{0}ce"}), "first_name"),
            (
                json!({"avatar_asset": "avatars/someone-else/x.png"}),
                "avatar_asset",
            ),
        ] {
            let resp = admin.patch("/api/users/me/", body).await;
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
            assert!(
                resp.json::<Value>().await.unwrap()[field].is_array(),
                "{field}"
            );
        }
        let bad = admin
            .patch(
                "/api/users/me/",
                json!({"first_name": ["not", "a", "name"]}),
            )
            .await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let me: Value = admin.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(
            me["display_name"], "grace",
            "nothing changed by the bad requests"
        );

        // Avatar: presign, upload, set, fetch.
        let refused = admin
            .post(
                "/api/users/me/avatar/",
                json!({"name": "a.exe", "type": "application/x-msdownload", "size": 10}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let plan: Value = admin
            .post(
                "/api/users/me/avatar/",
                json!({"name": "me.png", "type": "image/png", "size": 4}),
            )
            .await
            .json()
            .await
            .unwrap();
        let upload = &plan["upload"];
        assert_eq!(upload["method"], "PUT");
        // An upload that is not what was announced (here empty) is refused and removed.
        let empty: Value = admin
            .post(
                "/api/users/me/avatar/",
                json!({"name": "e.png", "type": "image/png", "size": 4}),
            )
            .await
            .json()
            .await
            .unwrap();
        let put = app
            .client
            .put(empty["upload"]["url"].as_str().unwrap())
            .body(Vec::<u8>::new())
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
        let refused = admin
            .patch(
                "/api/users/me/",
                json!({"avatar_asset": empty["asset_key"]}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let key =
            plane_aio::storage::ObjectKey::parse(empty["asset_key"].as_str().unwrap()).unwrap();
        assert!(matches!(
            app.state.storage().stat(&key).await,
            Err(plane_aio::storage::StorageError::NotFound)
        ));
        let put = app
            .client
            .put(upload["url"].as_str().unwrap())
            .body(vec![137u8, 80, 78, 71])
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
        let me: Value = admin
            .patch("/api/users/me/", json!({"avatar_asset": plan["asset_key"]}))
            .await
            .json()
            .await
            .unwrap();
        // Keys that only look like uploads are refused before storage is asked (which would
        // fail, after retries, with "not a directory" or "name too long": a 500).
        let uploaded = plan["asset_key"].as_str().unwrap();
        let folder = uploaded.rsplit_once('/').unwrap().0;
        for key in [
            format!("{uploaded}/x.png"),
            format!("{folder}/{}.png", "a".repeat(300)),
        ] {
            let resp = admin
                .patch("/api/users/me/", json!({"avatar_asset": key}))
                .await;
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{key}");
        }
        let avatar_url = me["avatar_url"].as_str().unwrap().to_string();
        assert_eq!(
            avatar_url,
            format!("/api/users/{}/avatar/", me["id"].as_str().unwrap())
        );
        let redirect = admin.get(&avatar_url).await;
        assert_eq!(redirect.status(), StatusCode::FOUND);
        // Anyone may fetch it, as Plane's avatar links: an API-token client or a page without
        // a session gets the image too.
        let anonymous = app.client.get(app.url(&avatar_url)).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::FOUND);
        for unknown in [uuid::Uuid::now_v7().to_string(), "not-a-uuid".into()] {
            let missing = app
                .client
                .get(app.url(&format!("/api/users/{unknown}/avatar/")))
                .send()
                .await
                .unwrap();
            assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{unknown}");
        }
        let image = app
            .client
            .get(redirect.headers()["location"].to_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            image.bytes().await.unwrap().to_vec(),
            vec![137u8, 80, 78, 71]
        );
        // Behind a proxy, with the public address set by the admin at run time, the links
        // point there rather than at the listen address.
        app.configure(&admin, json!({"PUBLIC_URL": "https://plane.example.com"}))
            .await;
        let redirect = admin.get(&avatar_url).await;
        let location = redirect.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("https://plane.example.com/api/storage/avatars/"),
            "{location}"
        );
        app.configure(&admin, json!({"PUBLIC_URL": ""})).await;
        // Plane's UserLite carries it too.
        let lite: Value = admin.get("/api/v1/users/me/").await.json().await.unwrap();
        assert_eq!(lite["avatar_url"], avatar_url);
        // Removed: the object goes as well.
        let me: Value = admin
            .patch("/api/users/me/", json!({"avatar_asset": ""}))
            .await
            .json()
            .await
            .unwrap();
        assert!(me["avatar_url"].is_null());
        let key =
            plane_aio::storage::ObjectKey::parse(plan["asset_key"].as_str().unwrap()).unwrap();
        assert!(app.state.storage().read(&key).await.is_err());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_instance_admins_see_and_change_instance_settings() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let member = app.user("member@example.com").await;
    assert_eq!(
        app.get("/api/instances/configurations/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        member.get("/api/instances/configurations/").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .patch(
                "/api/instances/configurations/",
                json!({"ENABLE_SIGNUP": "1"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get("/api/instances/users/").await.status(),
        StatusCode::FORBIDDEN
    );

    // All or nothing: one bad value changes nothing.
    let resp = admin
        .patch(
            "/api/instances/configurations/",
            json!({"ENABLE_SIGNUP": "1", "EMAIL_PORT": "seventy"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.json::<Value>().await.unwrap()["EMAIL_PORT"].is_array());
    let unknown = admin
        .patch(
            "/api/instances/configurations/",
            json!({"NO_SUCH_KEY": "1"}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["enable_signup"], false);

    let listing: Vec<Value> = admin
        .patch("/api/instances/configurations/", json!({"ENABLE_SIGNUP": true, "PUBLIC_URL": "https://plane.example.com/", "INSTANCE_NAME": "Acme Plane"}))
        .await
        .json()
        .await
        .unwrap();
    let value = |key: &str| listing.iter().find(|r| r["key"] == key).unwrap()["value"].clone();
    assert_eq!(value("ENABLE_SIGNUP"), "1");
    assert_eq!(value("PUBLIC_URL"), "https://plane.example.com");
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["enable_signup"], true);
    assert_eq!(info["instance"]["instance_name"], "Acme Plane");
    assert_eq!(
        info["config"]["oauth_redirect_uris"]["google"],
        "https://plane.example.com/auth/google/callback/"
    );

    // An admin cannot lock themselves out.
    let users: Vec<Value> = admin
        .get("/api/instances/users/")
        .await
        .json()
        .await
        .unwrap();
    let me = users
        .iter()
        .find(|u| u["is_instance_admin"] == true)
        .unwrap();
    let resp = admin
        .patch(
            &format!("/api/instances/users/{}/", me["id"].as_str().unwrap()),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}
