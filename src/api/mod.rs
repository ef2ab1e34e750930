//! The HTTP API: poem-openapi services, Plane's error bodies and pagination, shared by every
//! resource. One file (or folder) per resource; [`service`] composes them into the OpenAPI
//! document served at `/api/schema/`.

pub mod error;
pub mod ops;
pub mod pagination;
pub mod v1_auth;

use poem::{
    EndpointExt, IntoEndpoint, Response,
    endpoint::BoxEndpoint,
    middleware::{NormalizePath, TrailingSlash},
};
use poem_openapi::{OpenApi, OpenApiService, Tags, Webhook};

#[derive(Tags)]
pub enum Tag {
    /// Health and readiness probes.
    Operations,
}

/// Every documented operation, in one OpenAPI service mounted at the site root
/// (operation paths are absolute: `/healthz`, `/api/v1/...`).
pub type ApiService = OpenApiService<ops::OpsApi, ()>;

/// An OpenAPI service as an endpoint the way every API is served: Plane's trailing-slash paths
/// and the slash-less form both match, and every error gets Plane's body.
pub fn endpoint<T: OpenApi + 'static, W: Webhook + 'static>(
    service: OpenApiService<T, W>,
) -> BoxEndpoint<'static, Response> {
    service
        .into_endpoint()
        .with(NormalizePath::new(TrailingSlash::Trim))
        .catch_all_error(error::plane_error_response)
        .map_to_response()
        .boxed()
}

pub fn service(public_url: &url::Url) -> ApiService {
    OpenApiService::new(ops::OpsApi, "The Plane REST API (plane-aio)", env!("CARGO_PKG_VERSION"))
        .description(
            "Plane's public REST API v1, served by plane-aio. Authenticate with the `X-API-Key` header. \
             Lists use Plane's pagination envelope (`per_page` up to 1000, `cursor` = `per_page:page:is_prev`).",
        )
        .server(public_url.as_str().trim_end_matches('/'))
        .license("AGPL-3.0")
}
