//! The rule book, checked from outside: every route of the workspace/project API, for each kind
//! of caller — workspace admin, member, guest, a user outside the workspace, another
//! workspace's admin, a revoked token, no credentials — with the status and body each gets:
//! refusals exactly as Plane words them, answers carrying the object asked for. The web UI's
//! invitation-link routes run the same way with each caller's session cookie.
//! Then ids from another workspace must answer exactly like unknown ids.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    on_both_engines,
    support::{
        Engine, PASSWORD, TestApp,
        api::{Answer, ApiClient},
        browser::Browser,
    },
};

mod invitation_routes;
mod routes;

use routes::{Proof, Route, p, routes, w};

const DENIED: &str = "You do not have permission to perform this action.";

/// Fresh names for bodies that create things.
static COUNTER: AtomicUsize = AtomicUsize::new(0);
fn unique() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// What the routes are applied to: one workspace with everything in it.
#[derive(Clone, Debug)]
struct World {
    slug: String,
    project: String,
    second_project: String,
    state: String,
    label: String,
    estimate: String,
    point: String,
    invitation: String,
    /// An invitation for the outsider, and the token of its (mailed) link.
    link_invitation: String,
    link_token: String,
    link_email: String,
    member_user: String,
    guest_user: String,
    spare_user: String,
    member_row: String,
    guest_row: String,
}

/// The callers' web UI sessions, for the routes outside `/api/v1/`.
struct Sessions {
    admin: Browser,
    member: Browser,
    guest: Browser,
    outsider: Browser,
    other_admin: Browser,
    /// Signed in, then the session was ended on the server.
    revoked: Browser,
    anonymous: Browser,
}

impl Sessions {
    async fn new(app: &TestApp) -> Sessions {
        let signed_in = |email: &'static str| async move {
            let browser = app.browser();
            let answer = browser.sign_in(email, PASSWORD).await;
            assert_eq!(answer.status(), 200, "{email} signs in");
            browser
        };
        // The revoked session is ended before the admin's own session begins.
        let revoked = signed_in("admin@example.com").await;
        let admin_id = plane_aio::db::users::by_email(app.state.db(), "admin@example.com")
            .await
            .unwrap()
            .unwrap()
            .id;
        plane_aio::domain::sessions::end_all(app.state.kv(), admin_id)
            .await
            .unwrap();
        Sessions {
            admin: signed_in("admin@example.com").await,
            member: signed_in("member@example.com").await,
            guest: signed_in("guest@example.com").await,
            outsider: signed_in("outsider@example.com").await,
            other_admin: signed_in("other@example.com").await,
            revoked,
            anonymous: app.browser(),
        }
    }

    fn browser(&self, caller: Caller) -> &Browser {
        match caller {
            Caller::Admin => &self.admin,
            Caller::Member => &self.member,
            Caller::Guest => &self.guest,
            Caller::Outsider => &self.outsider,
            Caller::OtherAdmin => &self.other_admin,
            Caller::Revoked => &self.revoked,
            Caller::Anonymous => &self.anonymous,
        }
    }
}

struct People {
    admin: ApiClient,
    member: ApiClient,
    guest: ApiClient,
    spare: ApiClient,
    outsider: ApiClient,
    other_admin: ApiClient,
    revoked: ApiClient,
    anonymous: ApiClient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Admin,
    Member,
    Guest,
    Outsider,
    OtherAdmin,
    Revoked,
    Anonymous,
}

const CALLERS: [Caller; 7] = [
    Caller::Admin,
    Caller::Member,
    Caller::Guest,
    Caller::Outsider,
    Caller::OtherAdmin,
    Caller::Revoked,
    Caller::Anonymous,
];

impl People {
    fn client(&self, caller: Caller) -> &ApiClient {
        match caller {
            Caller::Admin => &self.admin,
            Caller::Member => &self.member,
            Caller::Guest => &self.guest,
            Caller::Outsider => &self.outsider,
            Caller::OtherAdmin => &self.other_admin,
            Caller::Revoked => &self.revoked,
            Caller::Anonymous => &self.anonymous,
        }
    }
}

async fn world(app: &TestApp, people: &People) -> World {
    let n = unique();
    let slug = format!("w{n}");
    let admin = &people.admin;
    app.workspace(admin, &slug).await;
    app.add_member(&slug, &people.member, 15).await;
    app.add_member(&slug, &people.guest, 5).await;
    app.add_member(&slug, &people.spare, 15).await;
    let project = app.project(admin, &slug, "MAIN").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second_project = app.project(admin, &slug, "SECOND").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = format!("/workspaces/{slug}/projects/{project}");
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let add_to_project = async |user: &ApiClient, role: i16| {
        id(admin
            .post(
                &format!("{p}/members/"),
                json!({"member": user.user_id, "role": role}),
            )
            .await
            .expect(201))
    };
    let member_row = add_to_project(&people.member, 15).await;
    let guest_row = add_to_project(&people.guest, 5).await;
    let state = id(admin
        .post(
            &format!("{p}/states/"),
            json!({"name": "Review", "color": "#123456"}),
        )
        .await
        .expect(200));
    let label = id(admin
        .post(&format!("{p}/labels/"), json!({"name": "bug"}))
        .await
        .expect(201));
    let estimate = id(admin
        .post(&format!("{p}/estimates/"), json!({"name": "Points"}))
        .await
        .expect(201));
    let point = id(admin
        .post(
            &format!("{p}/estimates/{estimate}/estimate-points/"),
            json!([{"key": 1, "value": "1"}]),
        )
        .await
        .expect(201)[0]
        .clone());
    let invitation = id(admin
        .post(
            &format!("/workspaces/{slug}/invitations/"),
            json!({"email": format!("invitee{n}@example.com"), "role": 15}),
        )
        .await
        .expect(201));
    let link_email = people.outsider.email.clone();
    let link_invitation = id(admin
        .post(
            &format!("/workspaces/{slug}/invitations/"),
            json!({"email": link_email, "role": 15}),
        )
        .await
        .expect(201));
    // The token the mail would carry: only its hash is stored, so the test sets one it knows.
    let link_token = Uuid::new_v4().simple().to_string().repeat(2);
    {
        use plane_aio::db::entities::workspace_invite as invite;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        invite::Entity::update_many()
            .col_expr(
                invite::Column::TokenHash,
                Expr::value(plane_aio::domain::tokens::hash(&link_token)),
            )
            .filter(invite::Column::Id.eq(Uuid::parse_str(&link_invitation).unwrap()))
            .exec(&app.state.db().conn)
            .await
            .unwrap();
    }
    World {
        slug,
        project,
        second_project,
        state,
        label,
        estimate,
        point,
        invitation,
        link_invitation,
        link_token,
        link_email,
        member_user: people.member.user_id.clone(),
        guest_user: people.guest.user_id.clone(),
        spare_user: people.spare.user_id.clone(),
        member_row,
        guest_row,
    }
}

/// What `caller` must get from `route`.
fn expected(route: &Route, caller: Caller) -> u16 {
    match (caller, route.session) {
        (Caller::Admin, _) => route.expect[0],
        (Caller::Member, _) => route.expect[1],
        (Caller::Guest, _) => route.expect[2],
        (Caller::Outsider, Some(others)) => others[0],
        (Caller::OtherAdmin, Some(others)) => others[1],
        (Caller::Revoked, Some(others)) => others[2],
        (Caller::Anonymous, Some(others)) => others[3],
        (Caller::Outsider | Caller::OtherAdmin, None) if route.open => route.expect[0],
        (Caller::Outsider | Caller::OtherAdmin | Caller::Revoked, None) => 403,
        (Caller::Anonymous, None) => 401,
    }
}

fn check(route: &Route, caller: Caller, world: &World, path: &str, answer: &Answer) {
    let want = expected(route, caller);
    let what = format!("{} {path} as {caller:?}", route.method);
    assert_eq!(answer.status.as_u16(), want, "{what}: {}", answer.text);
    match want {
        204 => assert!(answer.text.is_empty(), "{what}: 204 with a body"),
        200 | 201 => {
            assert_eq!(
                answer.content_type.as_deref(),
                Some("application/json"),
                "{what}"
            );
            let body = &answer.body;
            let proven = match route.proof {
                Some(Proof::Field(key, value)) => body.get(key) == Some(&value(world)),
                Some(Proof::Key(key)) => body.get(key).is_some(),
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

async fn call(
    people: &People,
    sessions: &Sessions,
    caller: Caller,
    route: &Route,
    world: &World,
) -> (String, Answer) {
    let path = (route.path)(world);
    let body = (route.body)(world);
    if route.session.is_none() {
        let answer = people
            .client(caller)
            .send(route.method.clone(), &path, body)
            .await;
        return (path, answer);
    }
    let response = sessions
        .browser(caller)
        .send(route.method.clone(), &path, body)
        .await;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    let answer = Answer {
        status,
        content_type,
        body,
        text,
    };
    (path, answer)
}

on_both_engines!(every_route_for_every_caller, |engine: Engine| async move {
    let app = TestApp::spawn(engine).await;
    let admin = app.api_user("admin@example.com").await;
    let revoked_token = app.api_user("admin@example.com").await.token;
    let hash = plane_aio::domain::tokens::hash(&revoked_token);
    let stored = plane_aio::db::api_tokens::by_hash(app.state.db(), &hash)
        .await
        .unwrap()
        .unwrap();
    assert!(
        plane_aio::db::api_tokens::revoke(app.state.db(), stored.id, Some(stored.user_id))
            .await
            .unwrap()
    );
    let other_admin = app.api_user("other@example.com").await;
    app.workspace(&other_admin, "elsewhere").await;
    let people = People {
        revoked: admin.with_token(&revoked_token),
        anonymous: admin.with_token(""),
        member: app.api_user("member@example.com").await,
        guest: app.api_user("guest@example.com").await,
        spare: app.api_user("spare@example.com").await,
        outsider: app.api_user("outsider@example.com").await,
        other_admin,
        admin,
    };

    let sessions = Sessions::new(&app).await;

    let mut checked = 0;
    for route in routes() {
        if route.method == Method::GET {
            let world = world(&app, &people).await;
            for caller in CALLERS {
                let (path, answer) = call(&people, &sessions, caller, &route, &world).await;
                check(&route, caller, &world, &path, &answer);
                checked += 1;
            }
            continue;
        }
        // Each caller who may change things gets a world of their own; the others share
        // one (and must leave it as it was).
        let shared = world(&app, &people).await;
        for caller in CALLERS {
            let world = if expected(&route, caller) < 300 {
                world(&app, &people).await
            } else {
                shared.clone()
            };
            let (path, answer) = call(&people, &sessions, caller, &route, &world).await;
            check(&route, caller, &world, &path, &answer);
            checked += 1;
        }
        // Refused requests changed nothing: the shared world is whole.
        let admin = &people.admin;
        assert_eq!(admin.get(&format!("{}/", w(&shared))).await.status, 200);
        assert_eq!(admin.get(&format!("{}/", p(&shared))).await.status, 200);
        assert_eq!(
            admin
                .get(&format!("{}/states/{}/", p(&shared), shared.state))
                .await
                .status,
            200
        );
    }
    assert_eq!(checked, routes().len() * CALLERS.len());
});

on_both_engines!(
    ids_of_another_workspace_answer_like_unknown_ids,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.api_user("admin@example.com").await;
        let people = People {
            revoked: admin.with_token("plane_api_00000000000000000000000000000000"),
            anonymous: admin.with_token(""),
            member: app.api_user("member@example.com").await,
            guest: app.api_user("guest@example.com").await,
            spare: app.api_user("spare@example.com").await,
            outsider: app.api_user("outsider@example.com").await,
            other_admin: app.api_user("other@example.com").await,
            admin,
        };
        // The admin's own world, and one in a workspace they also own but address through the
        // first workspace's slug (ids of another workspace), and made-up ids.
        let mine = world(&app, &people).await;
        let theirs = world(&app, &people).await;
        let foreign = World {
            slug: mine.slug.clone(),
            ..theirs.clone()
        };
        let ghost = |_: ()| World {
            slug: mine.slug.clone(),
            project: Uuid::now_v7().to_string(),
            second_project: Uuid::now_v7().to_string(),
            state: Uuid::now_v7().to_string(),
            label: Uuid::now_v7().to_string(),
            estimate: Uuid::now_v7().to_string(),
            point: Uuid::now_v7().to_string(),
            invitation: Uuid::now_v7().to_string(),
            link_invitation: Uuid::now_v7().to_string(),
            link_token: Uuid::new_v4().simple().to_string().repeat(2),
            link_email: "nobody@example.com".into(),
            member_user: Uuid::now_v7().to_string(),
            guest_user: Uuid::now_v7().to_string(),
            spare_user: Uuid::now_v7().to_string(),
            member_row: Uuid::now_v7().to_string(),
            guest_row: Uuid::now_v7().to_string(),
        };
        // Entity ids of the other workspace, under this workspace's real project.
        let foreign_entities = World {
            slug: mine.slug.clone(),
            project: mine.project.clone(),
            second_project: mine.second_project.clone(),
            ..theirs.clone()
        };
        let ghost_entities = World {
            project: mine.project.clone(),
            second_project: mine.second_project.clone(),
            ..ghost(())
        };
        let mut compared = 0;
        // The invitation-link routes are not scoped by workspace: nothing to compare.
        for route in routes()
            .into_iter()
            .filter(|r| !r.open && r.session.is_none())
        {
            for (a, b) in [(&foreign, &ghost(())), (&foreign_entities, &ghost_entities)] {
                let path_a = (route.path)(a);
                let path_b = (route.path)(b);
                if path_a == (route.path)(&mine) {
                    continue; // the route names no id that differs
                }
                let one = people
                    .admin
                    .send(route.method.clone(), &path_a, (route.body)(a))
                    .await;
                let other = people
                    .admin
                    .send(route.method.clone(), &path_b, (route.body)(b))
                    .await;
                assert_eq!(
                    (one.status, &one.body),
                    (other.status, &other.body),
                    "{} {path_a} vs {path_b}",
                    route.method
                );
                assert!(
                    matches!(one.status.as_u16(), 400 | 403 | 404),
                    "{} {path_a}: {}",
                    route.method,
                    one.text
                );
                compared += 1;
            }
        }
        assert!(compared > 40, "compared {compared}");
        // The other workspace's things are untouched.
        let admin = &people.admin;
        assert_eq!(admin.get(&format!("{}/", p(&theirs))).await.status, 200);
        assert_eq!(
            admin
                .get(&format!("{}/states/{}/", p(&theirs), theirs.state))
                .await
                .status,
            200
        );
        assert_eq!(
            admin
                .get(&format!(
                    "{}/invitations/{}/",
                    w(&theirs),
                    theirs.invitation
                ))
                .await
                .status,
            200
        );
    }
);
