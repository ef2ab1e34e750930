//! Every route of the workspace/project API, with the statuses the workspace's admin, member
//! and guest must get, what proves an answer is the right object, and the exact body of each
//! refusal.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Caller, DENIED, World, unique};

/// What a successful answer must show to be the right object.
#[derive(Clone, Copy)]
pub(super) enum Proof {
    /// This key with this value.
    Field(&'static str, fn(&World) -> Value),
    /// An object with this key.
    Key(&'static str),
    /// Plane's pagination envelope (a `results` list).
    Page,
    /// A JSON array.
    List,
}

pub(super) struct Route {
    pub method: Method,
    pub path: fn(&World) -> String,
    pub body: fn(&World) -> Option<Value>,
    /// Statuses for the workspace's admin (its owner), member and guest.
    pub expect: [u16; 3],
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
    fn proves(mut self, proof: Proof) -> Route {
        self.proof = Some(proof);
        self
    }

    fn refuses(mut self, refusal: fn(&World, Caller, u16) -> Value) -> Route {
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

fn none(_: &World) -> Option<Value> {
    None
}

fn route(
    method: Method,
    path: fn(&World) -> String,
    body: fn(&World) -> Option<Value>,
    expect: [u16; 3],
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

pub(super) fn routes() -> Vec<Route> {
    use Method as M;
    let r = route;
    let mut routes = vec![
        Route {
            open: true,
            ..route(M::GET, |_| "/users/me/".into(), none, [200, 200, 200])
        }
        .proves(Proof::Key("email")),
        Route {
            open: true,
            ..route(M::GET, |_| "/workspaces/".into(), none, [200, 200, 200])
        }
        .proves(Proof::Page),
        Route {
            open: true,
            ..route(
                M::POST,
                |_| "/workspaces/".into(),
                |_| {
                    let n = unique();
                    Some(json!({"name": format!("New {n}"), "slug": format!("new-{n}")}))
                },
                [201, 201, 201],
            )
        }
        .proves(Proof::Key("slug")),
        r(M::GET, |x| format!("{}/", w(x)), none, [200, 200, 200])
        .proves(Proof::Field("slug", |x| json!(x.slug))),
        r(
            M::PATCH,
            |x| format!("{}/", w(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 403, 403],
        )
        .proves(Proof::Field("name", |_| json!("Renamed"))),
        r(M::DELETE, |x| format!("{}/", w(x)), none, [204, 403, 403]),
        r(
            M::GET,
            |x| format!("{}/members/", w(x)),
            none,
            [200, 200, 403],
        )
        .proves(Proof::List),
        r(
            M::GET,
            |x| format!("{}/members-lite/", w(x)),
            none,
            [200, 200, 403],
        )
        .proves(Proof::Page),
        r(
            M::GET,
            |x| format!("{}/members/{}/", w(x), x.member_user),
            none,
            [200, 200, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.member_user))),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", w(x), x.guest_user),
            |_| Some(json!({"role": 15})),
            [200, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(15))),
        r(
            M::DELETE,
            |x| format!("{}/members/{}/", w(x), x.spare_user),
            none,
            [204, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/members/leave/", w(x)),
            |_| Some(json!({})),
            [400, 204, 204],
        )
        .refuses(|x, caller, status| match status {
            400 => json!({"error": "The workspace owner cannot leave the workspace; delete it instead"}),
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::GET,
            |x| format!("{}/invitations/", w(x)),
            none,
            [200, 403, 403],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/invitations/", w(x)),
            |_| Some(json!({"email": format!("new{}@example.com", unique())})),
            [201, 403, 403],
        )
        .proves(Proof::Key("email")),
        r(
            M::GET,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            none,
            [200, 403, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.invitation))),
        r(
            M::PATCH,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            |_| Some(json!({"role": 5})),
            [200, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(5))),
        r(
            M::DELETE,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            none,
            [204, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/projects/", w(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/projects/", w(x)),
            |_| {
                let n = unique();
                Some(json!({"name": format!("P {n}"), "identifier": format!("P{n}")}))
            },
            [201, 201, 403],
        )
        .proves(Proof::Key("identifier")),
        r(
            M::GET,
            |x| format!("{}/projects-lite/", w(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Page),
        r(M::GET, |x| format!("{}/", p(x)), none, [200, 200, 200])
        .proves(Proof::Field("id", |x| json!(x.project))),
        r(
            M::PATCH,
            |x| format!("{}/", p(x)),
            |_| Some(json!({"description": "changed"})),
            [200, 403, 403],
        )
        .proves(Proof::Field("description", |_| json!("changed"))),
        r(M::DELETE, |x| format!("{}/", p(x)), none, [204, 403, 403]),
        r(
            M::POST,
            |x| format!("{}/archive/", p(x)),
            |_| Some(json!({})),
            [204, 403, 403],
        ),
        r(
            M::DELETE,
            |x| format!("{}/archive/", p(x)),
            none,
            [204, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/summary/", p(x)),
            none,
            [200, 200, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.project))),
        r(
            M::GET,
            |x| format!("{}/features/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Key("cycles")),
        r(
            M::PATCH,
            |x| format!("{}/features/", p(x)),
            |_| Some(json!({"cycles": true})),
            [200, 403, 403],
        )
        .proves(Proof::Field("cycles", |_| json!(true))),
        r(
            M::POST,
            |x| format!("{}/projects/{}/join/", w(x), x.second_project),
            |_| Some(json!({})),
            [400, 201, 403],
        )
        .proves(Proof::Key("member"))
        .refuses(|x, caller, status| match status {
            400 => json!({"error": "You are already a member of this project"}),
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::GET,
            |x| format!("{}/members/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::List),
        r(
            M::GET,
            |x| format!("{}/project-members/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 403, 403],
        )
        .proves(Proof::Field("member", |x| json!(x.spare_user))),
        r(
            M::POST,
            |x| format!("{}/project-members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 403, 403],
        )
        .proves(Proof::Field("member", |x| json!(x.spare_user))),
        r(
            M::GET,
            |x| format!("{}/members/{}/", p(x), x.member_row),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Key("email")),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", p(x), x.guest_row),
            |_| Some(json!({"role": 5})),
            [200, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(5))),
        r(
            M::DELETE,
            |x| format!("{}/members/{}/", p(x), x.guest_row),
            none,
            [204, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/members/leave/", p(x)),
            |_| Some(json!({})),
            [400, 204, 204],
        )
        .refuses(|x, caller, status| match status {
            400 => {
                json!({"error": "The project needs at least one admin; make someone else admin first"})
            },
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::GET,
            |x| format!("{}/project-members-lite/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::GET,
            |x| format!("{}/states/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/states/", p(x)),
            |_| Some(json!({"name": format!("S{}", unique()), "color": "#000000"})),
            [200, 200, 403],
        )
        .proves(Proof::Key("id")),
        r(
            M::GET,
            |x| format!("{}/states/{}/", p(x), x.state),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.state))),
        r(
            M::PATCH,
            |x| format!("{}/states/{}/", p(x), x.state),
            |_| Some(json!({"color": "#ffffff"})),
            [200, 200, 403],
        )
        .proves(Proof::Field("color", |_| json!("#ffffff"))),
        r(
            M::DELETE,
            |x| format!("{}/states/{}/", p(x), x.state),
            none,
            [204, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/labels/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/labels/", p(x)),
            |_| Some(json!({"name": format!("L{}", unique())})),
            [201, 201, 403],
        )
        .proves(Proof::Key("id")),
        r(
            M::GET,
            |x| format!("{}/labels/{}/", p(x), x.label),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.label))),
        r(
            M::PATCH,
            |x| format!("{}/labels/{}/", p(x), x.label),
            |_| Some(json!({"color": "#ff0000"})),
            [200, 200, 403],
        )
        .proves(Proof::Field("color", |_| json!("#ff0000"))),
        r(
            M::DELETE,
            |x| format!("{}/labels/{}/", p(x), x.label),
            none,
            [204, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/estimates/", p(x)),
            none,
            [200, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.estimate))),
        r(
            M::POST,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Another"})),
            [409, 409, 403],
        )
        .refuses(|x, caller, status| match status {
            409 => {
                json!({"error": "An estimate already exists for this project", "id": x.estimate})
            },
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::PATCH,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 200, 403],
        )
        .proves(Proof::Field("name", |_| json!("Renamed"))),
        r(
            M::DELETE,
            |x| format!("{}/estimates/", p(x)),
            none,
            [204, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
            none,
            [200, 200, 200],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
            |_| Some(json!([{"value": "8"}])),
            [201, 201, 403],
        )
        .proves(Proof::List),
        r(
            M::PATCH,
            |x| {
                format!(
                    "{}/estimates/{}/estimate-points/{}/",
                    p(x),
                    x.estimate,
                    x.point
                )
            },
            |_| Some(json!({"value": "9"})),
            [200, 200, 403],
        )
        .proves(Proof::Field("value", |_| json!("9"))),
        r(
            M::DELETE,
            |x| {
                format!(
                    "{}/estimates/{}/estimate-points/{}/",
                    p(x),
                    x.estimate,
                    x.point
                )
            },
            none,
            [204, 204, 403],
        ),
    ];
    routes.extend(super::invitation_routes::routes());
    routes.shrink_to_fit();
    routes
}
