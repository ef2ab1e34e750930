//! The callers and what the routes are applied to: one workspace with everything in it, and a
//! snapshot of it as its owner sees it, to prove refused requests changed nothing.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Caller,
    routes::{p, w},
    unique,
};
use crate::support::{
    PASSWORD, TestApp,
    api::{Answer, ApiClient},
    browser::Browser,
};

/// What the routes are applied to: one workspace with everything in it.
#[derive(Clone, Debug)]
pub(super) struct World {
    pub slug: String,
    pub project: String,
    pub second_project: String,
    pub state: String,
    pub label: String,
    pub estimate: String,
    pub point: String,
    pub invitation: String,
    /// An invitation for the outsider, and the token of its (mailed) link.
    pub link_invitation: String,
    pub link_token: String,
    pub link_email: String,
    pub member_user: String,
    pub guest_user: String,
    pub spare_user: String,
    pub member_row: String,
    pub guest_row: String,
}

/// The owner of every world, and where each other caller stands in it.
pub(super) const OWNER: &str = "admin@example.com";
const ADMIN: &str = "coadmin@example.com";
const ADMIN_NOT_IN_PROJECT: &str = "aloof-admin@example.com";
const MEMBER: &str = "member@example.com";
const GUEST: &str = "guest@example.com";
const OUTSIDER: &str = "outsider@example.com";
const OTHER_ADMIN: &str = "other@example.com";

pub(super) struct People {
    pub owner: ApiClient,
    pub admin: ApiClient,
    pub admin_not_in_project: ApiClient,
    pub member: ApiClient,
    pub guest: ApiClient,
    pub spare: ApiClient,
    pub outsider: ApiClient,
    pub other_admin: ApiClient,
    pub revoked: ApiClient,
    pub anonymous: ApiClient,
}

impl People {
    /// Everyone, with API tokens; the revoked caller's token is the owner's `revoked_token`.
    pub async fn new(app: &TestApp, revoked_token: &str) -> People {
        let owner = app.api_user(OWNER).await;
        People {
            revoked: owner.with_token(revoked_token),
            anonymous: owner.with_token(""),
            admin: app.api_user(ADMIN).await,
            admin_not_in_project: app.api_user(ADMIN_NOT_IN_PROJECT).await,
            member: app.api_user(MEMBER).await,
            guest: app.api_user(GUEST).await,
            spare: app.api_user("spare@example.com").await,
            outsider: app.api_user(OUTSIDER).await,
            other_admin: app.api_user(OTHER_ADMIN).await,
            owner,
        }
    }

    pub fn client(&self, caller: Caller) -> &ApiClient {
        match caller {
            Caller::Owner => &self.owner,
            Caller::Admin => &self.admin,
            Caller::AdminNotInProject => &self.admin_not_in_project,
            Caller::Member => &self.member,
            Caller::Guest => &self.guest,
            Caller::Outsider => &self.outsider,
            Caller::OtherAdmin => &self.other_admin,
            Caller::Revoked => &self.revoked,
            Caller::Anonymous => &self.anonymous,
        }
    }
}

/// The callers' web UI sessions, for the routes outside `/api/v1/` (and `/api/v1/` by cookie).
pub(super) struct Sessions {
    signed_in: Vec<(Caller, Browser)>,
}

impl Sessions {
    pub async fn new(app: &TestApp) -> Sessions {
        let signed_in = |email: &'static str| async move {
            let browser = app.browser();
            let answer = browser.sign_in(email, PASSWORD).await;
            assert_eq!(answer.status(), 200, "{email} signs in");
            browser
        };
        // The revoked session is ended before the owner's own session begins.
        let revoked = signed_in(OWNER).await;
        let owner_id = plane_aio::db::users::by_email(app.state.db(), OWNER)
            .await
            .unwrap()
            .unwrap()
            .id;
        plane_aio::domain::sessions::end_all(app.state.kv(), owner_id)
            .await
            .unwrap();
        let mut sessions = vec![
            (Caller::Revoked, revoked),
            (Caller::Anonymous, app.browser()),
        ];
        for (caller, email) in [
            (Caller::Owner, OWNER),
            (Caller::Admin, ADMIN),
            (Caller::AdminNotInProject, ADMIN_NOT_IN_PROJECT),
            (Caller::Member, MEMBER),
            (Caller::Guest, GUEST),
            (Caller::Outsider, OUTSIDER),
            (Caller::OtherAdmin, OTHER_ADMIN),
        ] {
            sessions.push((caller, signed_in(email).await));
        }
        Sessions {
            signed_in: sessions,
        }
    }

    pub fn browser(&self, caller: Caller) -> &Browser {
        &self
            .signed_in
            .iter()
            .find(|(c, _)| *c == caller)
            .expect("every caller has a browser")
            .1
    }
}

/// A browser's answer in the API client's form.
pub(super) async fn answer_of(response: reqwest::Response) -> Answer {
    Answer::read(response).await
}

/// A workspace owned by the owner, with: a member, a guest and a spare member; two workspace
/// admins who are not the owner, one of them a member (role 15) of the main project, the other
/// in no project; the main project with the member, the guest and that admin in it, a state, a
/// label, an estimate with a point; a second project with only the owner; two invitations.
pub(super) async fn world(app: &TestApp, people: &People) -> World {
    let n = unique();
    let slug = format!("w{n}");
    let owner = &people.owner;
    app.workspace(owner, &slug).await;
    app.add_member(&slug, &people.admin, 20).await;
    app.add_member(&slug, &people.admin_not_in_project, 20)
        .await;
    app.add_member(&slug, &people.member, 15).await;
    app.add_member(&slug, &people.guest, 5).await;
    app.add_member(&slug, &people.spare, 15).await;
    let project = app.project(owner, &slug, "MAIN").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second_project = app.project(owner, &slug, "SECOND").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = format!("/workspaces/{slug}/projects/{project}");
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let add_to_project = async |user: &ApiClient, role: i16| {
        id(owner
            .post(
                &format!("{p}/members/"),
                json!({"member": user.user_id, "role": role}),
            )
            .await
            .expect(201))
    };
    add_to_project(&people.admin, 15).await;
    let member_row = add_to_project(&people.member, 15).await;
    let guest_row = add_to_project(&people.guest, 5).await;
    let state = id(owner
        .post(
            &format!("{p}/states/"),
            json!({"name": "Review", "color": "#123456"}),
        )
        .await
        .expect(200));
    let label = id(owner
        .post(&format!("{p}/labels/"), json!({"name": "bug"}))
        .await
        .expect(201));
    let estimate = id(owner
        .post(&format!("{p}/estimates/"), json!({"name": "Points"}))
        .await
        .expect(201));
    let point = id(owner
        .post(
            &format!("{p}/estimates/{estimate}/estimate-points/"),
            json!([{"key": 1, "value": "1"}]),
        )
        .await
        .expect(201)[0]
        .clone());
    let invitation = id(owner
        .post(
            &format!("/workspaces/{slug}/invitations/"),
            json!({"email": format!("invitee{n}@example.com"), "role": 15}),
        )
        .await
        .expect(201));
    let link_email = people.outsider.email.clone();
    let link_invitation = id(owner
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

/// Everything of `x` the routes can change, as its owner reads it: the workspace, its members
/// and invitations, both projects with their members and features, and the main project's
/// states, labels, estimate and points.
pub(super) async fn snapshot(owner: &ApiClient, x: &World) -> Vec<(String, Value)> {
    let mut paths = vec![
        format!("{}/", w(x)),
        format!("{}/members/", w(x)),
        format!("{}/invitations/", w(x)),
        format!("{}/projects/", w(x)),
    ];
    for project in [&x.project, &x.second_project] {
        let project = format!("{}/projects/{project}", w(x));
        paths.push(format!("{project}/"));
        paths.push(format!("{project}/members/"));
        paths.push(format!("{project}/features/"));
    }
    paths.extend([
        format!("{}/states/", p(x)),
        format!("{}/labels/", p(x)),
        format!("{}/estimates/", p(x)),
        format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
    ]);
    let mut seen = Vec::with_capacity(paths.len());
    for path in paths {
        let answer = owner.get(&path).await;
        assert_eq!(answer.status, 200, "snapshot {path}: {}", answer.text);
        seen.push((path, answer.body));
    }
    seen
}

/// Panics naming the first read that differs from `before`.
pub(super) async fn assert_unchanged(
    owner: &ApiClient,
    x: &World,
    before: &[(String, Value)],
    after_what: &str,
) {
    let now = snapshot(owner, x).await;
    for ((path, was), (_, is)) in before.iter().zip(&now) {
        assert_eq!(is, was, "{path} changed after {after_what}");
    }
}

/// The snapshot sees every kind of change a route can make: one allowed change of each kind
/// (by the owner) alters it. Returns the snapshot after them.
pub(super) async fn assert_snapshot_sees_changes(
    owner: &ApiClient,
    x: &World,
    mut before: Vec<(String, Value)>,
) -> Vec<(String, Value)> {
    let (ws, pr) = (w(x), p(x));
    let second = format!("{ws}/projects/{}", x.second_project);
    let points = format!("{pr}/estimates/{}/estimate-points", x.estimate);
    let changes = [
        ("PATCH", format!("{ws}/"), Some(json!({"name": "Seen"}))),
        (
            "PATCH",
            format!("{ws}/members/{}/", x.guest_user),
            Some(json!({"role": 15})),
        ),
        (
            "PATCH",
            format!("{ws}/invitations/{}/", x.invitation),
            Some(json!({"role": 5})),
        ),
        ("POST", format!("{pr}/archive/"), Some(json!({}))),
        ("DELETE", format!("{pr}/archive/"), None),
        (
            "PATCH",
            format!("{second}/"),
            Some(json!({"description": "seen"})),
        ),
        (
            "PATCH",
            format!("{second}/features/"),
            Some(json!({"cycles": true})),
        ),
        (
            "PATCH",
            format!("{pr}/members/{}/", x.member_row),
            Some(json!({"role": 5})),
        ),
        (
            "PATCH",
            format!("{pr}/states/{}/", x.state),
            Some(json!({"color": "#abcdef"})),
        ),
        (
            "PATCH",
            format!("{pr}/labels/{}/", x.label),
            Some(json!({"color": "#abcdef"})),
        ),
        (
            "PATCH",
            format!("{pr}/estimates/"),
            Some(json!({"name": "Seen"})),
        ),
        (
            "PATCH",
            format!("{points}/{}/", x.point),
            Some(json!({"value": "7"})),
        ),
    ];
    for (method, path, body) in changes {
        let answer = owner.send(method.parse().unwrap(), &path, body).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {}",
            answer.text
        );
        let now = snapshot(owner, x).await;
        assert_ne!(now, before, "the snapshot misses {method} {path}");
        before = now;
    }
    before
}
