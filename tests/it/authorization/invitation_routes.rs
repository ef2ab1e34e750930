//! The web UI's invitation-link routes (`/api/workspace-invitations/…`,
//! `/api/users/me/workspace-invitations/`), called with the session cookie: what counts is the
//! mailed link's token or being signed in as the invited address (the outsider, here), not
//! membership of the workspace.

use reqwest::Method as M;
use serde_json::{Value, json};

use super::{
    Caller,
    routes::{Proof, Route, plane_refusal},
    world::World,
};

const NOT_INVITED: &str = "You do not have permission to join the workspace";

/// A session route: statuses for the workspace's owner, its two other admins, member and guest
/// (the same: membership does not count here), then for the outsider (the invitee), the other
/// workspace's admin, a revoked session and no session.
fn session(
    method: M,
    path: fn(&World) -> String,
    body: fn(&World) -> Option<Value>,
    expect: [u16; 5],
    others: [u16; 4],
    proof: Proof,
) -> Route {
    Route {
        method,
        path,
        body,
        expect,
        open: false,
        session: Some(others),
        proof: Some(proof),
        refusal: not_invited,
    }
}

fn not_invited(x: &World, caller: Caller, status: u16) -> Value {
    match status {
        403 => json!({"error": NOT_INVITED}),
        _ => plane_refusal(x, caller, status),
    }
}

fn link(x: &World) -> String {
    format!("/api/workspace-invitations/{}/", x.link_invitation)
}

fn none(_: &World) -> Option<Value> {
    None
}

pub(super) fn routes() -> Vec<Route> {
    let preview = |x: &World| json!(x.link_invitation);
    let declined = |_: &World| json!("Workspace Invitation was not accepted");
    let accepted = |_: &World| json!("Workspace Invitation Accepted");
    vec![
        // The link alone shows the invitation, to anyone.
        session(
            M::GET,
            |x| format!("{}?token={}", link(x), x.link_token),
            none,
            [200; 5],
            [200, 200, 200, 200],
            Proof::Field("id", preview),
        ),
        // Without it, only the invitee, signed in.
        session(
            M::GET,
            link,
            none,
            [403; 5],
            [200, 403, 401, 401],
            Proof::Field("id", preview),
        ),
        // A wrong token shows nothing, even to the invitee.
        session(
            M::GET,
            |x| format!("{}?token={}", link(x), "0".repeat(64)),
            none,
            [403; 5],
            [403, 403, 403, 403],
            Proof::Field("id", preview),
        ),
        // Declining needs the link (or being the invitee).
        session(
            M::POST,
            |x| format!("{}join/", link(x)),
            |x| Some(json!({"token": x.link_token, "accepted": false})),
            [200; 5],
            [200, 200, 200, 200],
            Proof::Field("message", declined),
        ),
        session(
            M::POST,
            |x| format!("{}join/", link(x)),
            |_| Some(json!({"accepted": false})),
            [403; 5],
            [200, 403, 401, 401],
            Proof::Field("message", declined),
        ),
        // Accepting needs the invited account, signed in; the link alone is not enough.
        session(
            M::POST,
            |x| format!("{}join/", link(x)),
            |_| Some(json!({"accepted": true})),
            [403; 5],
            [200, 403, 401, 401],
            Proof::Field("message", accepted),
        ),
        Route {
            refusal: |x, caller, status| match (status, caller) {
                (403, Caller::Revoked | Caller::Anonymous) => json!({
                    "error": format!("Sign in as {} to accept this invitation", x.link_email)
                }),
                (403, _) => json!({"error": format!(
                    "This invitation is for {}; sign in with that address to accept it",
                    x.link_email
                )}),
                _ => plane_refusal(x, caller, status),
            },
            ..session(
                M::POST,
                |x| format!("{}join/", link(x)),
                |x| Some(json!({"token": x.link_token, "accepted": true})),
                [403; 5],
                [200, 403, 403, 403],
                Proof::Field("message", accepted),
            )
        },
        // Anyone signed in lists the invitations to their own address.
        session(
            M::GET,
            |_| "/api/users/me/workspace-invitations/".into(),
            none,
            [200; 5],
            [200, 200, 401, 401],
            Proof::List,
        ),
    ]
}
