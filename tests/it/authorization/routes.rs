//! Every route of the workspace/project API, with the statuses each caller inside the workspace
//! must get, what proves an answer is the right object, and the exact body of each refusal.
//!
//! The columns of `expect` are derived from the rule book (`src/domain/access.rs`):
//!
//! * the owner: a workspace admin, admin of both projects (they created them); only they may
//!   delete the workspace, and they cannot leave it;
//! * a workspace admin who is not the owner, a member (role 15) of the main project: everything
//!   the owner may do but delete the workspace; a workspace admin who is in a project manages it
//!   whatever their project role; they may leave;
//! * a workspace admin in no project: workspace administration, and the public projects' pages,
//!   summaries and member lists, but not their states, labels or estimates (only a project's
//!   members read those) and not managing them (a workspace admin manages only the projects they
//!   are in); joining a project is allowed;
//! * a member (15) and a guest (5) of the workspace and the main project.
//!
//! The second project (public, only the owner in it) is the one the join route joins.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Caller, DENIED, unique, world::World};

/// What a successful answer must show to be the right object.
#[derive(Clone, Copy)]
pub(super) enum Proof {
    /// This key with this value.
    Field(&'static str, fn(&World) -> Value),
    /// An object with this key.
    Key(&'static str),
    /// The caller's own user (its `id`).
    Me,
    /// Plane's pagination envelope (a `results` list).
    Page,
    /// A JSON array.
    List,
}

pub(super) struct Route {
    pub method: Method,
    pub path: fn(&World) -> String,
    pub body: fn(&World) -> Option<Value>,
    /// Statuses for the workspace's owner, a workspace admin in the main project, a workspace
    /// admin in no project, a member and a guest (see the module's comment).
    pub expect: [u16; 5],
    /// Needs no workspace: outsiders get what members get.
    pub open: bool,
    /// Called by the web UI with its session cookie (outside `/api/v1/`); the statuses for
    /// the outsider, the other workspace's admin, a revoked session and no session.
    pub session: Option<[u16; 4]>,
    pub proof: Option<Proof>,
    /// The exact body of a refusal (any status but 401) for this caller.
    pub refusal: fn(&World, Caller, u16) -> Value,
}

impl Route {
    pub(super) fn proves(mut self, proof: Proof) -> Route {
        self.proof = Some(proof);
        self
    }

    pub(super) fn refuses(mut self, refusal: fn(&World, Caller, u16) -> Value) -> Route {
        self.refusal = refusal;
        self
    }
}

/// Plane's bodies: 403 `{"detail": …}`, 404 `{"error": …}`; other refusals are the route's.
pub(super) fn plane_refusal(_: &World, caller: Caller, status: u16) -> Value {
    match status {
        403 => json!({"detail": DENIED}),
        404 => json!({"error": "The requested resource does not exist."}),
        _ => panic!("the route names no body for {status} as {caller:?}"),
    }
}

pub(super) fn w(x: &World) -> String {
    format!("/workspaces/{}", x.slug)
}

pub(super) fn p(x: &World) -> String {
    format!("/workspaces/{}/projects/{}", x.slug, x.project)
}

pub(super) fn none(_: &World) -> Option<Value> {
    None
}

pub(super) fn route(
    method: Method,
    path: fn(&World) -> String,
    body: fn(&World) -> Option<Value>,
    expect: [u16; 5],
) -> Route {
    Route {
        method,
        path,
        body,
        expect,
        open: false,
        session: None,
        proof: None,
        refusal: plane_refusal,
    }
}

/// Every route: the workspace's, the projects' and the invitation links'.
pub(super) fn routes() -> Vec<Route> {
    let mut routes = workspace_routes();
    routes.extend(super::project_routes::routes());
    routes.extend(super::invitation_routes::routes());
    routes
}

fn workspace_routes() -> Vec<Route> {
    use Method as M;
    let r = route;
    vec![
        Route {
            open: true,
            ..r(M::GET, |_| "/users/me/".into(), none, [200; 5])
        }
        .proves(Proof::Me),
        Route {
            open: true,
            ..r(M::GET, |_| "/workspaces/".into(), none, [200; 5])
        }
        .proves(Proof::Page),
        Route {
            open: true,
            ..r(
                M::POST,
                |_| "/workspaces/".into(),
                |_| {
                    let n = unique();
                    Some(json!({"name": format!("New {n}"), "slug": format!("new-{n}")}))
                },
                [201; 5],
            )
        }
        .proves(Proof::Key("slug")),
        r(M::GET, |x| format!("{}/", w(x)), none, [200; 5])
            .proves(Proof::Field("slug", |x| json!(x.slug))),
        r(
            M::PATCH,
            |x| format!("{}/", w(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 200, 200, 403, 403],
        )
        .proves(Proof::Field("name", |_| json!("Renamed"))),
        // Only the owner deletes the workspace.
        r(
            M::DELETE,
            |x| format!("{}/", w(x)),
            none,
            [204, 403, 403, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/members/", w(x)),
            none,
            [200, 200, 200, 200, 403],
        )
        .proves(Proof::List),
        r(
            M::GET,
            |x| format!("{}/members-lite/", w(x)),
            none,
            [200, 200, 200, 200, 403],
        )
        .proves(Proof::Page),
        r(
            M::GET,
            |x| format!("{}/members/{}/", w(x), x.member_user),
            none,
            [200, 200, 200, 200, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.member_user))),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", w(x), x.guest_user),
            |_| Some(json!({"role": 15})),
            [200, 200, 200, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(15))),
        r(
            M::DELETE,
            |x| format!("{}/members/{}/", w(x), x.spare_user),
            none,
            [204, 204, 204, 403, 403],
        ),
        // The owner cannot leave; other admins can (the owner remains an admin).
        r(
            M::POST,
            |x| format!("{}/members/leave/", w(x)),
            |_| Some(json!({})),
            [400, 204, 204, 204, 204],
        )
        .refuses(|x, caller, status| match status {
            400 => json!({"error": "The workspace owner cannot leave the workspace; delete it instead"}),
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::GET,
            |x| format!("{}/invitations/", w(x)),
            none,
            [200, 200, 200, 403, 403],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/invitations/", w(x)),
            |_| Some(json!({"email": format!("new{}@example.com", unique())})),
            [201, 201, 201, 403, 403],
        )
        .proves(Proof::Key("email")),
        r(
            M::GET,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            none,
            [200, 200, 200, 403, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.invitation))),
        r(
            M::PATCH,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            |_| Some(json!({"role": 5})),
            [200, 200, 200, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(5))),
        r(
            M::DELETE,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            none,
            [204, 204, 204, 403, 403],
        ),
        r(M::GET, |x| format!("{}/projects/", w(x)), none, [200; 5]).proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/projects/", w(x)),
            |_| {
                let n = unique();
                Some(json!({"name": format!("P {n}"), "identifier": format!("P{n}")}))
            },
            [201, 201, 201, 201, 403],
        )
        .proves(Proof::Key("identifier")),
        r(
            M::GET,
            |x| format!("{}/projects-lite/", w(x)),
            none,
            [200; 5],
        )
        .proves(Proof::Page),
    ]
}
