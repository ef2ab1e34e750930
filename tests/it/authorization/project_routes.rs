//! The project routes of the table: the project itself, its members, states, labels, estimates
//! and estimate points. Columns as in [`super::routes`]: the owner, a workspace admin in the
//! main project (as a member), a workspace admin in no project, a member, a guest.

use reqwest::Method as M;
use serde_json::json;

use super::routes::{Proof, Route, none, p, plane_refusal, route as r, w};
use super::unique;

pub(super) fn routes() -> Vec<Route> {
    let mut routes = project_routes();
    routes.extend(entity_routes());
    routes
}

/// The project, its features, joining and its members.
fn project_routes() -> Vec<Route> {
    vec![
        // A public project's page: any admin or member of the workspace sees it.
        r(M::GET, |x| format!("{}/", p(x)), none, [200; 5])
            .proves(Proof::Field("id", |x| json!(x.project))),
        // Managing it: its admins, or workspace admins who are in it.
        r(
            M::PATCH,
            |x| format!("{}/", p(x)),
            |_| Some(json!({"description": "changed"})),
            [200, 200, 403, 403, 403],
        )
        .proves(Proof::Field("description", |_| json!("changed"))),
        r(
            M::DELETE,
            |x| format!("{}/", p(x)),
            none,
            [204, 204, 403, 403, 403],
        ),
        r(
            M::POST,
            |x| format!("{}/archive/", p(x)),
            |_| Some(json!({})),
            [204, 204, 403, 403, 403],
        ),
        r(
            M::DELETE,
            |x| format!("{}/archive/", p(x)),
            none,
            [204, 204, 403, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/summary/", p(x)),
            none,
            [200, 200, 200, 200, 403],
        )
        .proves(Proof::Field("id", |x| json!(x.project))),
        r(M::GET, |x| format!("{}/features/", p(x)), none, [200; 5]).proves(Proof::Key("cycles")),
        r(
            M::PATCH,
            |x| format!("{}/features/", p(x)),
            |_| Some(json!({"cycles": true})),
            [200, 200, 403, 403, 403],
        )
        .proves(Proof::Field("cycles", |_| json!(true))),
        // Only the owner is in the second project already.
        r(
            M::POST,
            |x| format!("{}/projects/{}/join/", w(x), x.second_project),
            |_| Some(json!({})),
            [400, 201, 201, 201, 403],
        )
        .proves(Proof::Key("member"))
        .refuses(|x, caller, status| match status {
            400 => json!({"error": "You are already a member of this project"}),
            _ => plane_refusal(x, caller, status),
        }),
        r(M::GET, |x| format!("{}/members/", p(x)), none, [200; 5]).proves(Proof::List),
        r(
            M::GET,
            |x| format!("{}/project-members/", p(x)),
            none,
            [200; 5],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 201, 403, 403, 403],
        )
        .proves(Proof::Field("member", |x| json!(x.spare_user))),
        r(
            M::POST,
            |x| format!("{}/project-members/", p(x)),
            |x| Some(json!({"member": x.spare_user, "role": 15})),
            [201, 201, 403, 403, 403],
        )
        .proves(Proof::Field("member", |x| json!(x.spare_user))),
        // A membership answers with its user.
        r(
            M::GET,
            |x| format!("{}/members/{}/", p(x), x.member_row),
            none,
            [200; 5],
        )
        .proves(Proof::Field("id", |x| json!(x.member_user))),
        r(
            M::PATCH,
            |x| format!("{}/members/{}/", p(x), x.guest_row),
            |_| Some(json!({"role": 5})),
            [200, 200, 403, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(5))),
        r(
            M::DELETE,
            |x| format!("{}/members/{}/", p(x), x.guest_row),
            none,
            [204, 204, 403, 403, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/project-members/{}/", p(x), x.member_row),
            none,
            [200; 5],
        )
        .proves(Proof::Field("id", |x| json!(x.member_user))),
        r(
            M::PATCH,
            |x| format!("{}/project-members/{}/", p(x), x.guest_row),
            |_| Some(json!({"role": 5})),
            [200, 200, 403, 403, 403],
        )
        .proves(Proof::Field("role", |_| json!(5))),
        r(
            M::DELETE,
            |x| format!("{}/project-members/{}/", p(x), x.guest_row),
            none,
            [204, 204, 403, 403, 403],
        ),
        // The owner is the project's only admin; the admin in no project has nothing to leave.
        r(
            M::POST,
            |x| format!("{}/members/leave/", p(x)),
            |_| Some(json!({})),
            [400, 204, 403, 204, 204],
        )
        .refuses(|x, caller, status| match status {
            400 => {
                json!({"error": "The project needs at least one admin; make someone else admin first"})
            }
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::GET,
            |x| format!("{}/project-members-lite/", p(x)),
            none,
            [200; 5],
        )
        .proves(Proof::Page),
    ]
}

/// States, labels, estimates and points: read by the project's members, written by its admins
/// and members; a workspace admin outside the project does neither.
fn entity_routes() -> Vec<Route> {
    vec![
        r(
            M::GET,
            |x| format!("{}/states/", p(x)),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/states/", p(x)),
            |_| Some(json!({"name": format!("S{}", unique()), "color": "#000000"})),
            [200, 200, 403, 200, 403],
        )
        .proves(Proof::Key("id")),
        r(
            M::GET,
            |x| format!("{}/states/{}/", p(x), x.state),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.state))),
        r(
            M::PATCH,
            |x| format!("{}/states/{}/", p(x), x.state),
            |_| Some(json!({"color": "#ffffff"})),
            [200, 200, 403, 200, 403],
        )
        .proves(Proof::Field("color", |_| json!("#ffffff"))),
        r(
            M::DELETE,
            |x| format!("{}/states/{}/", p(x), x.state),
            none,
            [204, 204, 403, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/labels/", p(x)),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::Page),
        r(
            M::POST,
            |x| format!("{}/labels/", p(x)),
            |_| Some(json!({"name": format!("L{}", unique())})),
            [201, 201, 403, 201, 403],
        )
        .proves(Proof::Key("id")),
        r(
            M::GET,
            |x| format!("{}/labels/{}/", p(x), x.label),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.label))),
        r(
            M::PATCH,
            |x| format!("{}/labels/{}/", p(x), x.label),
            |_| Some(json!({"color": "#ff0000"})),
            [200, 200, 403, 200, 403],
        )
        .proves(Proof::Field("color", |_| json!("#ff0000"))),
        r(
            M::DELETE,
            |x| format!("{}/labels/{}/", p(x), x.label),
            none,
            [204, 204, 403, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/estimates/", p(x)),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::Field("id", |x| json!(x.estimate))),
        r(
            M::POST,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Another"})),
            [409, 409, 403, 409, 403],
        )
        .refuses(|x, caller, status| match status {
            409 => {
                json!({"error": "An estimate already exists for this project", "id": x.estimate})
            }
            _ => plane_refusal(x, caller, status),
        }),
        r(
            M::PATCH,
            |x| format!("{}/estimates/", p(x)),
            |_| Some(json!({"name": "Renamed"})),
            [200, 200, 403, 200, 403],
        )
        .proves(Proof::Field("name", |_| json!("Renamed"))),
        r(
            M::DELETE,
            |x| format!("{}/estimates/", p(x)),
            none,
            [204, 204, 403, 204, 403],
        ),
        r(
            M::GET,
            |x| format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
            none,
            [200, 200, 403, 200, 200],
        )
        .proves(Proof::List),
        r(
            M::POST,
            |x| format!("{}/estimates/{}/estimate-points/", p(x), x.estimate),
            |_| Some(json!([{"value": "8"}])),
            [201, 201, 403, 201, 403],
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
            [200, 200, 403, 200, 403],
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
            [204, 204, 403, 204, 403],
        ),
    ]
}
