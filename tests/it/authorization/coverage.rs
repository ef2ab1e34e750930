//! The table must stay complete: a route added to the API without a row would go unchecked.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{routes::routes, world::World};
use crate::support::{Engine, TestApp};

/// Where the table's routes live: the v1 workspace tree and the UI's invitation links.
fn in_scope(path: &str) -> bool {
    path.starts_with("/api/v1/workspaces/")
        || path.starts_with("/api/workspace-invitations/")
        || path.starts_with("/api/users/me/workspace-invitations/")
}

/// The path with each parameter segment (`{slug}`, or a placeholder id) as `{}`, and neither
/// query nor trailing slash (the document writes none).
fn template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.trim_end_matches('/');
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_names_every_route_the_api_documents() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let spec: Value = app.get("/api/schema/").await.json().await.unwrap();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| in_scope(path))
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .filter(|method| {
                    ["get", "post", "patch", "put", "delete"].contains(&method.as_str())
                })
                .map(|method| (method.to_uppercase(), template(path)))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(documented.len() > 40, "{documented:?}");

    let id = || "{}".to_string();
    let placeholders = World {
        slug: id(),
        project: id(),
        second_project: id(),
        state: id(),
        label: id(),
        estimate: id(),
        point: id(),
        invitation: id(),
        link_invitation: id(),
        link_token: id(),
        link_email: id(),
        member_user: id(),
        guest_user: id(),
        spare_user: id(),
        member_row: id(),
        guest_row: id(),
    };
    let tabled: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|route| {
            let path = (route.path)(&placeholders);
            let path = if route.session.is_some() {
                path
            } else {
                format!("/api/v1{path}")
            };
            (route.method.to_string(), template(&path))
        })
        .collect();
    let untested: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        untested.is_empty(),
        "routes without a row in the table: {untested:?}"
    );
    app.stop().await.unwrap();
}
