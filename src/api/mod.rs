//! The HTTP API: poem-openapi services, Plane's error bodies and pagination, shared by every
//! resource. One file (or folder) per resource; [`service`] composes them into the OpenAPI
//! document served at `/api/schema/`.

// poem-openapi handlers take each path and query parameter as an argument.
#![allow(clippy::too_many_arguments)]

pub mod api_tokens;
pub mod auth;
pub mod authn;
pub mod error;
pub mod estimates;
pub mod input;
pub mod instance;
pub mod invitations;
pub mod json;
pub mod labels;
pub mod nul_guard;
pub mod oauth;
pub mod ops;
pub mod pagination;
pub mod project_input;
pub mod project_members;
pub mod project_views;
pub mod projects;
pub mod python_text;
pub mod shape;
pub mod states;
pub mod users;
pub mod workspaces;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response,
    endpoint::BoxEndpoint,
    middleware::{NormalizePath, TrailingSlash},
};
use poem_openapi::{OpenApi, OpenApiService, Tags, Webhook};

#[derive(Tags)]
pub enum Tag {
    /// Health and readiness probes.
    Operations,
    /// Signing up, in and out, for the web UI (session cookie + CSRF token).
    Authentication,
    /// The signed-in user, their sessions and API tokens.
    Users,
    /// The instance and its settings (instance admins).
    Instance,
    /// Workspaces, their members and invitations.
    Workspaces,
    /// Projects and their members.
    Projects,
    /// States, labels and estimates of a project.
    #[oai(rename = "Project data")]
    ProjectData,
}

/// Every documented operation, in one OpenAPI service mounted at the site root
/// (operation paths are absolute: `/healthz`, `/api/v1/...`).
pub type Apis = (
    ops::OpsApi,
    users::UsersApi,
    api_tokens::ApiTokensApi,
    auth::AuthApi,
    oauth::OAuthApi,
    instance::InstanceApi,
    workspaces::WorkspacesApi,
    invitations::InvitationsApi,
    projects::ProjectsApi,
    project_members::ProjectMembersApi,
    states::StatesApi,
    labels::LabelsApi,
    estimates::EstimatesApi,
);

pub type ApiService = OpenApiService<Apis, ()>;

/// An OpenAPI service as an endpoint the way every API is served: Plane's trailing-slash paths
/// and the slash-less form both match, and every error gets Plane's body.
pub fn endpoint<T: OpenApi + 'static, W: Webhook + 'static>(
    service: OpenApiService<T, W>,
) -> BoxEndpoint<'static, Response> {
    service
        .into_endpoint()
        .before(|mut req| async move {
            plane_aliases(&mut req);
            Ok(req)
        })
        .with(NormalizePath::new(TrailingSlash::Trim))
        .around(|next, req| async move {
            // The method names itself in Plane's 405 body.
            let method = req.method().clone();
            Ok(match next.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => error::plane_error_for(&method, err),
            })
        })
        .boxed()
}

/// Plane answers `…/projects/{id}/project-members/…` like `…/projects/{id}/members/…` (its SDK
/// calls the former): one rewrite here rather than a second handler per route. The segment
/// must match whole (`project-members-lite/` is a route of its own).
fn plane_aliases(req: &mut Request) {
    const PROJECT_MEMBERS: usize = 7; // "", api, v1, workspaces, {slug}, projects, {id}, here
    let path = req.uri().path();
    // Every API request passes here: most leave at this test, without a split.
    if !path.contains("/project-members") {
        return;
    }
    let mut segments: Vec<&str> = path.split('/').collect();
    let aliased = segments.len() > PROJECT_MEMBERS
        && segments[..4] == ["", "api", "v1", "workspaces"]
        && segments[5] == "projects"
        && segments[PROJECT_MEMBERS] == "project-members";
    if !aliased {
        return;
    }
    segments[PROJECT_MEMBERS] = "members";
    let rewritten = match req.uri().query() {
        Some(query) => format!("{}?{query}", segments.join("/")),
        None => segments.join("/"),
    };
    if let Ok(uri) = rewritten.parse() {
        *req.uri_mut() = uri;
    }
}

pub fn service(public_url: &url::Url) -> ApiService {
    OpenApiService::new(
        (
            ops::OpsApi,
            users::UsersApi,
            api_tokens::ApiTokensApi,
            auth::AuthApi,
            oauth::OAuthApi,
            instance::InstanceApi,
            workspaces::WorkspacesApi,
            invitations::InvitationsApi,
            projects::ProjectsApi,
            project_members::ProjectMembersApi,
            states::StatesApi,
            labels::LabelsApi,
            estimates::EstimatesApi,
        ),
        "The Plane REST API (plane-aio)",
        env!("CARGO_PKG_VERSION"),
    )
        .description(
            "Plane's public REST API v1, served by plane-aio. Authenticate with the `X-API-Key` header. \
             Lists use Plane's pagination envelope (`per_page` up to 1000, `cursor` = `per_page:page:is_prev`).",
        )
        .server(public_url.as_str().trim_end_matches('/'))
        .license("AGPL-3.0")
}

/// The OpenAPI document with the credentials each operation takes (the API authenticates in a
/// middleware, so poem-openapi cannot see them): `X-API-Key` or the session cookie for
/// `/api/v1/`, the session cookie for the UI's own endpoints.
pub fn documented_spec(service: &ApiService) -> String {
    let raw = service.spec();
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(&raw) else {
        return raw;
    };
    spec["components"]["securitySchemes"] = serde_json::json!({
        "ApiKeyAuthentication": {"type": "apiKey", "in": "header", "name": "X-API-Key",
            "description": "A personal API token, `plane_api_…`."},
        "SessionCookie": {"type": "apiKey", "in": "cookie", "name": "session-id",
            "description": "The web UI's session; unsafe requests also need the `X-CSRFToken` header."}
    });
    if let Some(paths) = spec["paths"].as_object_mut() {
        for (path, operations) in paths.iter_mut() {
            let security = if path.starts_with("/api/v1/") {
                serde_json::json!([{"ApiKeyAuthentication": []}, {"SessionCookie": []}])
            } else if path.starts_with("/api/users/")
                || path.starts_with("/api/instances/configurations")
                || path.starts_with("/api/instances/users")
                || path.starts_with("/api/instances/email")
                || path == "/auth/change-password/"
            {
                serde_json::json!([{"SessionCookie": []}])
            } else {
                continue;
            };
            if let Some(ops) = operations.as_object_mut() {
                for op in ops.values_mut() {
                    op["security"] = security.clone();
                }
            }
        }
    }
    serde_json::to_string(&spec).unwrap_or(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliased(uri: &str) -> String {
        let mut req = Request::builder().uri_str(uri).finish();
        plane_aliases(&mut req);
        req.uri().to_string()
    }

    #[test]
    fn project_members_is_members_and_nothing_else_is_touched() {
        let p = "/api/v1/workspaces/acme/projects/7f0c";
        assert_eq!(
            aliased(&format!("{p}/project-members/")),
            format!("{p}/members/")
        );
        assert_eq!(
            aliased(&format!("{p}/project-members/9a1b?fields=id")),
            format!("{p}/members/9a1b?fields=id")
        );
        for untouched in [
            format!("{p}/project-members-lite/"),
            format!("{p}/members/"),
            "/api/v1/workspaces/acme/project-members/".to_string(),
            "/api/workspaces/acme/projects/7f0c/project-members/".to_string(),
        ] {
            assert_eq!(aliased(&untouched), untouched);
        }
    }
}
