//! Every route of the workspace/project API, with the statuses the workspace's admin, member
//! and guest must get.

use reqwest::Method;
use serde_json::{Value, json};

use super::{World, unique};

pub(super) struct Route {
    pub method: Method,
    pub path: fn(&World) -> String,
    pub body: fn(&World) -> Option<Value>,
    /// Statuses for the workspace's admin (its owner), member and guest.
    pub expect: [u16; 3],
    /// Needs no workspace: outsiders get what members get.
    pub open: bool,
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

pub(super) fn routes() -> Vec<Route> {
    use Method as M;
    let r = |method: Method,
             path: fn(&World) -> String,
             body: fn(&World) -> Option<Value>,
             expect: [u16; 3]| Route {
        method,
        path,
        body,
        expect,
        open: false,
    };
    let mut routes = vec![
        Route {
            method: M::GET,
            path: |_| "/users/me/".into(),
            body: none,
            expect: [200, 200, 200],
            open: true,
        },
        Route {
            method: M::GET,
            path: |_| "/workspaces/".into(),
            body: none,
            expect: [200, 200, 200],
            open: true,
        },
        Route {
            method: M::POST,
            path: |_| "/workspaces/".into(),
            body: |_| {
                let n = unique();
                Some(json!({"name": format!("New {n}"), "slug": format!("new-{n}")}))
            },
            expect: [201, 201, 201],
            open: true,
        },
        r(M::GET, |x| format!("{}/", w(x)), none, [200, 200, 200]),
        r(
            M::PATCH,
            |x| format!("{}/", w(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 403, 403],
        ),
        r(M::DELETE, |x| format!("{}/", w(x)), none, [204, 403, 403]),
        r(
            M::GET,
            |x| format!("{}/members/", w(x)),
            none,
            [200, 200, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/members-lite/", w(x)),
            none,
            [200, 200, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/members/{}/", w(x), x.member_user),
            none,
            [200, 200, 403],
        ),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", w(x), x.guest_user),
            |_| Some(json!({"role": 15})),
            [200, 403, 403],
        ),
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
        ),
        r(
            M::GET,
            |x| format!("{}/invitations/", w(x)),
            none,
            [200, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/invitations/", w(x)),
            |_| Some(json!({"email": format!("new{}@example.com", unique())})),
            [201, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            none,
            [200, 403, 403],
        ),
        r(
            M::PATCH,
            |x| format!("{}/invitations/{}/", w(x), x.invitation),
            |_| Some(json!({"role": 5})),
            [200, 403, 403],
        ),
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
        ),
        r(
            M::POST,
            |x| format!("{}/projects/", w(x)),
            |_| {
                let n = unique();
                Some(json!({"name": format!("P {n}"), "identifier": format!("P{n}")}))
            },
            [201, 201, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/projects-lite/", w(x)),
            none,
            [200, 200, 200],
        ),
        r(M::GET, |x| format!("{}/", p(x)), none, [200, 200, 200]),
        r(
            M::PATCH,
            |x| format!("{}/", p(x)),
            |_| Some(json!({"description": "changed"})),
            [200, 403, 403],
        ),
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
        ),
        r(
            M::GET,
            |x| format!("{}/features/", p(x)),
            none,
            [200, 200, 200],
        ),
        r(
            M::PATCH,
            |x| format!("{}/features/", p(x)),
            |_| Some(json!({"cycles": true})),
            [200, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/projects/{}/join/", w(x), x.second_project),
            |_| Some(json!({})),
            [400, 201, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/members/", p(x)),
            none,
            [200, 200, 200],
        ),
        r(
            M::GET,
            |x| format!("{}/project-members/", p(x)),
            none,
            [200, 200, 200],
        ),
        r(
            M::POST,
            |x| format!("{}/members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/project-members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/members/{}/", p(x), x.member_row),
            none,
            [200, 200, 200],
        ),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", p(x), x.guest_row),
            |_| Some(json!({"role": 5})),
            [200, 403, 403],
        ),
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
        ),
        r(
            M::GET,
            |x| format!("{}/project-members-lite/", p(x)),
            none,
            [200, 200, 200],
        ),
        r(
            M::GET,
            |x| format!("{}/states/", p(x)),
            none,
            [200, 200, 200],
        ),
        r(
            M::POST,
            |x| format!("{}/states/", p(x)),
            |_| Some(json!({"name": format!("S{}", unique()), "color": "#000000"})),
            [200, 200, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/states/{}/", p(x), x.state),
            none,
            [200, 200, 200],
        ),
        r(
            M::PATCH,
            |x| format!("{}/states/{}/", p(x), x.state),
            |_| Some(json!({"color": "#ffffff"})),
            [200, 200, 403],
        ),
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
        ),
        r(
            M::POST,
            |x| format!("{}/labels/", p(x)),
            |_| Some(json!({"name": format!("L{}", unique())})),
            [201, 201, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/labels/{}/", p(x), x.label),
            none,
            [200, 200, 200],
        ),
        r(
            M::PATCH,
            |x| format!("{}/labels/{}/", p(x), x.label),
            |_| Some(json!({"color": "#ff0000"})),
            [200, 200, 403],
        ),
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
        ),
        r(
            M::POST,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Another"})),
            [409, 409, 403],
        ),
        r(
            M::PATCH,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 200, 403],
        ),
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
        ),
        r(
            M::POST,
            |x| format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
            |_| Some(json!([{"value": "8"}])),
            [201, 201, 403],
        ),
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
        ),
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
    routes.shrink_to_fit();
    routes
}
