//! The rule book, checked from outside: every route of the workspace/project API, for each kind
//! of caller — the workspace's owner, a workspace admin in the project, a workspace admin in no
//! project, a member, a guest, a user outside the workspace, another workspace's admin, a
//! revoked token, no credentials — with the status and body each gets: refusals exactly as
//! Plane words them, answers carrying the object asked for. Refused requests must change
//! nothing. The web UI's invitation-link routes run the same way with each caller's session
//! cookie, and `/api/v1/` runs again with the session cookie instead of a token
//! ([`session_cookie`]). Then ids from another workspace must answer exactly like unknown ids
//! ([`unknown_ids`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::json;

use crate::{
    on_both_engines,
    support::{Engine, TestApp, api::Answer},
};

mod coverage;
mod invitation_routes;
mod project_routes;
mod routes;
mod session_cookie;
mod unknown_ids;
mod world;

use routes::{Proof, Route, routes};
use world::{
    OWNER, People, Sessions, World, answer_of, assert_snapshot_sees_changes, assert_unchanged,
    snapshot, world,
};

const DENIED: &str = "You do not have permission to perform this action.";

/// Fresh names for bodies that create things.
static COUNTER: AtomicUsize = AtomicUsize::new(0);
fn unique() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// Created the workspace (and its projects).
    Owner,
    /// A workspace admin (20), not the owner, a member (15) of the main project.
    Admin,
    /// A workspace admin (20), not the owner, in no project.
    AdminNotInProject,
    Member,
    Guest,
    /// Signed up, in no workspace (the link invitation is for them).
    Outsider,
    /// The admin of another workspace.
    OtherAdmin,
    /// The owner's revoked token, or their ended session.
    Revoked,
    Anonymous,
}

const CALLERS: [Caller; 9] = [
    Caller::Owner,
    Caller::Admin,
    Caller::AdminNotInProject,
    Caller::Member,
    Caller::Guest,
    Caller::Outsider,
    Caller::OtherAdmin,
    Caller::Revoked,
    Caller::Anonymous,
];

/// What `caller` must get from `route`.
fn expected(route: &Route, caller: Caller) -> u16 {
    match (caller, route.session) {
        (Caller::Owner, _) => route.expect[0],
        (Caller::Admin, _) => route.expect[1],
        (Caller::AdminNotInProject, _) => route.expect[2],
        (Caller::Member, _) => route.expect[3],
        (Caller::Guest, _) => route.expect[4],
        (Caller::Outsider, Some(others)) => others[0],
        (Caller::OtherAdmin, Some(others)) => others[1],
        (Caller::Revoked, Some(others)) => others[2],
        (Caller::Anonymous, Some(others)) => others[3],
        (Caller::Outsider | Caller::OtherAdmin, None) if route.open => route.expect[0],
        (Caller::Outsider | Caller::OtherAdmin | Caller::Revoked, None) => 403,
        (Caller::Anonymous, None) => 401,
    }
}

/// Checks `answer` (to `caller`, whose user id is `me`) against the table.
fn check(route: &Route, caller: Caller, me: &str, world: &World, path: &str, answer: &Answer) {
    let want = expected(route, caller);
    let what = format!("{} {path} as {caller:?}", route.method);
    assert_eq!(answer.status.as_u16(), want, "{what}: {}", answer.text);
    if want == 204 {
        assert!(answer.text.is_empty(), "{what}: 204 with a body");
        return;
    }
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/json"),
        "{what}"
    );
    match want {
        200 | 201 => {
            let body = &answer.body;
            let proven = match route.proof {
                Some(Proof::Field(key, value)) => body.get(key) == Some(&value(world)),
                Some(Proof::Key(key)) => body.get(key).is_some(),
                Some(Proof::Me) => body.get("id") == Some(&json!(me)),
                Some(Proof::Page) => body["results"].is_array(),
                Some(Proof::List) => body.is_array(),
                None => body.is_object() || body.is_array(),
            };
            assert!(proven, "{what}: not the object asked for: {}", answer.text);
        }
        401 => assert_eq!(
            answer.body,
            json!({"detail": "Authentication credentials were not provided."}),
            "{what}"
        ),
        403 if caller == Caller::Revoked && route.session.is_none() => assert_eq!(
            answer.body,
            json!({"detail": "Given API token is not valid"}),
            "{what}"
        ),
        status => assert_eq!(
            answer.body,
            (route.refusal)(world, caller, status),
            "{what}"
        ),
    }
}

/// Calls `route` as `caller`: with their API token, or their session for the web UI's routes.
async fn call(
    people: &People,
    sessions: &Sessions,
    caller: Caller,
    route: &Route,
    world: &World,
) -> (String, Answer) {
    let path = (route.path)(world);
    let body = (route.body)(world);
    let answer = if route.session.is_none() {
        people
            .client(caller)
            .send(route.method.clone(), &path, body)
            .await
    } else {
        let browser = sessions.browser(caller);
        answer_of(browser.send(route.method.clone(), &path, body).await).await
    };
    (path, answer)
}

/// A token of the owner's, revoked.
async fn revoked_token(app: &TestApp) -> String {
    let token = app.api_user(OWNER).await.token;
    let hash = plane_aio::domain::tokens::hash(&token);
    let stored = plane_aio::db::api_tokens::by_hash(app.state.db(), &hash)
        .await
        .unwrap()
        .unwrap();
    assert!(
        plane_aio::db::api_tokens::revoke(app.state.db(), stored.id, Some(stored.user_id))
            .await
            .unwrap()
    );
    token
}

on_both_engines!(every_route_for_every_caller, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let revoked = revoked_token(&app).await;
    let people = People::new(&app, &revoked).await;
    app.workspace(&people.other_admin, "elsewhere").await;
    let sessions = Sessions::new(&app).await;

    // Reads, and requests that must be refused, share one world, which must stay as it was.
    let shared = world(&app, &people).await;
    let before = snapshot(&people.owner, &shared).await;
    let mut checked = 0;
    for route in routes() {
        for caller in CALLERS {
            let own;
            let world = if route.method != Method::GET && expected(&route, caller) < 300 {
                own = world(&app, &people).await;
                &own
            } else {
                &shared
            };
            let (path, answer) = call(&people, &sessions, caller, &route, world).await;
            let me = &people.client(caller).user_id;
            check(&route, caller, me, world, &path, &answer);
            checked += 1;
        }
        let what = format!("{} {}", route.method, (route.path)(&shared));
        assert_unchanged(&people.owner, &shared, &before, &what).await;
    }
    assert_eq!(checked, routes().len() * CALLERS.len());
    assert_snapshot_sees_changes(&people.owner, &shared, before).await;
});
