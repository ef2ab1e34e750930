//! `/api/v1/` with the web UI's session cookie instead of an API token: the same answers as
//! with the token, for the owner and a member; and an unsafe request with the cookie but
//! without the CSRF header is refused and changes nothing.

use reqwest::Method;
use serde_json::json;

use super::{
    Caller, check, expected, revoked_token,
    routes::routes,
    world::{People, Sessions, answer_of, assert_unchanged, snapshot, world},
};
use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

fn v1(path: &str) -> String {
    format!("/api/v1{path}")
}

on_both_engines!(
    api_v1_answers_the_same_with_the_session_cookie,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let people = People::new(&app, &revoked_token(&app).await).await;
        let sessions = Sessions::new(&app).await;
        let v1_routes: Vec<_> = routes()
            .into_iter()
            .filter(|r| r.session.is_none())
            .collect();
        assert!(v1_routes.len() > 50, "{} routes", v1_routes.len());

        let shared = world(&app, &people).await;
        let before = snapshot(&people.owner, &shared).await;
        let mut checked = 0;
        for route in &v1_routes {
            for caller in [Caller::Owner, Caller::Member] {
                let own;
                let world = if route.method != Method::GET && expected(route, caller) < 300 {
                    own = world(&app, &people).await;
                    &own
                } else {
                    &shared
                };
                let path = (route.path)(world);
                let browser = sessions.browser(caller);
                let response = browser
                    .send(route.method.clone(), &v1(&path), (route.body)(world))
                    .await;
                let answer = answer_of(response).await;
                check(
                    route,
                    caller,
                    &people.client(caller).user_id,
                    world,
                    &path,
                    &answer,
                );
                checked += 1;
            }
            let what = format!("{} {} by cookie", route.method, (route.path)(&shared));
            assert_unchanged(&people.owner, &shared, &before, &what).await;
        }
        assert_eq!(checked, v1_routes.len() * 2);

        // Without the CSRF header, every unsafe request is refused, even the owner's.
        let owner = sessions.browser(Caller::Owner);
        assert!(
            owner.cookie("csrftoken").is_some(),
            "the CSRF cookie is set"
        );
        let mut refused = 0;
        for route in v1_routes.iter().filter(|r| r.method != Method::GET) {
            let path = v1(&(route.path)(&shared));
            let mut request = owner.client.request(route.method.clone(), owner.url(&path));
            if let Some(body) = (route.body)(&shared) {
                request = request.json(&body);
            }
            let answer = answer_of(request.send().await.unwrap()).await;
            assert_eq!(
                answer.status, 403,
                "{} {path}: {}",
                route.method, answer.text
            );
            assert_eq!(
                answer.body,
                json!({"detail": "CSRF Failed: CSRF token missing."}),
                "{} {path}",
                route.method
            );
            refused += 1;
        }
        assert!(refused > 30, "{refused} unsafe routes");
        assert_unchanged(
            &people.owner,
            &shared,
            &before,
            "requests without CSRF header",
        )
        .await;
    }
);
