//! Plane's error bodies, produced in one place.
//!
//! Handlers return [`ApiError`]; errors raised by the framework (bad JSON, wrong content type,
//! unknown route, oversized body, …) are turned into the same shapes by [`plane_error_response`],
//! which the route table applies to everything under `/api/`. Bodies follow Plane's API v1
//! (`plane-api-v1.md` §3): `{"detail": …}` for framework/auth errors, `{"error": …}` for
//! handler errors, field maps for validation. 500s are logged with their cause and answered with
//! Plane's opaque message.

use std::collections::BTreeMap;

use poem::{
    IntoResponse, Response,
    error::{MethodNotAllowedError, NotFoundError, ReadBodyError, ResponseError},
    http::StatusCode,
};
use poem_openapi::{
    ApiResponse,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
};
use serde_json::{Value, json};

pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
pub const INVALID_TOKEN: &str = "Given API token is not valid";
pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";
pub const RESOURCE_MISSING: &str = "The requested resource does not exist.";
/// The 404 of Plane's DRF ViewSets (its invitation routes) rather than its API views.
pub const OBJECT_MISSING: &str = "The required object does not exist.";
pub const PAGE_NOT_FOUND: &str = "Page not found.";
pub const INTERNAL: &str = "Something went wrong please try again later";
pub const BODY_TOO_LARGE_CODE: &str = "REQUEST_BODY_TOO_LARGE";
pub const BODY_TOO_LARGE: &str = "The size of the request body exceeds the maximum allowed size.";

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `{"detail": message}` with any status (authentication, parsing, throttling).
    #[error("{status}: {message}")]
    Detail { status: StatusCode, message: String },
    /// `{"error": message}` with any status (Plane's hand-written view errors).
    #[error("{status}: {message}")]
    Message { status: StatusCode, message: String },
    /// DRF-style field errors: `{"field": ["message", …], …}`, status 400.
    #[error("invalid fields: {0:?}")]
    Fields(BTreeMap<String, Vec<String>>),
    /// Any other body Plane uses (409 shapes with an `id`, error codes, …).
    #[error("{status}: {body}")]
    Body { status: StatusCode, body: Value },
    /// 429 with `body` and a `Retry-After` header (seconds).
    #[error("429: {body} (retry after {retry_after} s)")]
    Throttled { body: Value, retry_after: u64 },
    /// A bug or an unavailable dependency: logged in full, answered with Plane's opaque 500.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn unauthenticated() -> ApiError {
        ApiError::Detail {
            status: StatusCode::UNAUTHORIZED,
            message: NOT_AUTHENTICATED.into(),
        }
    }

    pub fn invalid_token() -> ApiError {
        ApiError::Detail {
            status: StatusCode::FORBIDDEN,
            message: INVALID_TOKEN.into(),
        }
    }

    pub fn forbidden() -> ApiError {
        ApiError::Detail {
            status: StatusCode::FORBIDDEN,
            message: PERMISSION_DENIED.into(),
        }
    }

    /// Plane's 429 for a spent rate limit, with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> ApiError {
        ApiError::Throttled {
            retry_after,
            body: {
                let code = crate::domain::auth_codes::RATE_LIMIT_EXCEEDED;
                json!({ "error_code": code.number, "error_message": code.name })
            },
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::Message {
            status: StatusCode::NOT_FOUND,
            message: RESOURCE_MISSING.into(),
        }
    }

    /// The 404 of Plane's ViewSets: [`OBJECT_MISSING`].
    pub fn object_not_found() -> ApiError {
        ApiError::Message {
            status: StatusCode::NOT_FOUND,
            message: OBJECT_MISSING.into(),
        }
    }

    /// `{"error": "<what> not found"}`, which some of Plane's views answer instead of the
    /// generic 404.
    pub fn not_found_named(what: &str) -> ApiError {
        ApiError::Message {
            status: StatusCode::NOT_FOUND,
            message: format!("{what} not found"),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::Message {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn parse_error(message: impl Into<String>) -> ApiError {
        ApiError::Detail {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn field(name: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Fields(BTreeMap::from([(name.into(), vec![message.into()])]))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Detail { status, .. }
            | ApiError::Message { status, .. }
            | ApiError::Body { status, .. } => *status,
            ApiError::Fields(_) => StatusCode::BAD_REQUEST,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> Value {
        match self {
            ApiError::Detail { message, .. } => json!({ "detail": message }),
            ApiError::Message { message, .. } => json!({ "error": message }),
            ApiError::Fields(fields) => json!(fields),
            ApiError::Body { body, .. } | ApiError::Throttled { body, .. } => body.clone(),
            ApiError::Internal(_) => json!({ "error": INTERNAL }),
        }
    }
}

impl From<crate::domain::problem::Problem> for ApiError {
    fn from(problem: crate::domain::problem::Problem) -> ApiError {
        use crate::domain::problem::Problem;
        match problem {
            Problem::Invalid(fields) => ApiError::Fields(fields),
            Problem::Refused(message) => ApiError::bad_request(message),
            Problem::RefusedWith(body) => ApiError::Body {
                status: StatusCode::BAD_REQUEST,
                body,
            },
            Problem::Conflict(body) => ApiError::Body {
                status: StatusCode::CONFLICT,
                body,
            },
            Problem::Forbidden => ApiError::forbidden(),
            Problem::ForbiddenBecause(message) => ApiError::Message {
                status: StatusCode::FORBIDDEN,
                message,
            },
            Problem::NotFound => ApiError::not_found(),
            Problem::Unauthenticated => ApiError::unauthenticated(),
            Problem::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> ApiError {
        crate::domain::problem::Problem::from(error).into()
    }
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(encode_json(body))
}

/// The JSON text of a value (`to_vec` writes straight into the buffer; `Display` would go
/// through the formatter machinery).
pub fn encode_json(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| body.to_string().into_bytes())
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = %format!("{cause:#}"), "request failed");
        }
        let mut resp = json_response(ApiError::status(self), &self.body());
        if let ApiError::Throttled { retry_after, .. } = self {
            resp.headers_mut().insert(
                poem::http::header::RETRY_AFTER,
                poem::http::HeaderValue::from(*retry_after),
            );
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

/// Documents the error answers in the OpenAPI document (every operation may answer them).
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let error_body = |description: &'static str, status: u16| MetaResponse {
            description,
            status: Some(status),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: "application/json",
                schema: MetaSchemaRef::Reference("PlaneError".into()),
            }],
            headers: vec![],
        };
        MetaResponses {
            responses: vec![
                error_body(
                    "Invalid input: `{\"detail\": …}`, `{\"error\": …}` or `{\"field\": [\"message\"]}`",
                    400,
                ),
                error_body(
                    "No credentials: `{\"detail\": \"Authentication credentials were not provided.\"}`",
                    401,
                ),
                error_body(
                    "Invalid token or not allowed: `{\"detail\": …}` or `{\"error\": …}`",
                    403,
                ),
                error_body(
                    "Unknown resource: `{\"error\": \"The requested resource does not exist.\"}`",
                    404,
                ),
                error_body(
                    "Too many requests: `{\"error_code\": 5900, \"error_message\": \"RATE_LIMIT_EXCEEDED\"}`",
                    429,
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        use poem_openapi::registry::{MetaSchema, MetaSchemaRef as Ref};
        registry.create_schema::<Self, _>("PlaneError".into(), |_| {
            let mut schema = MetaSchema::new("object");
            schema.description = Some("Plane's error body. One of `detail`, `error`, or field names mapped to lists of messages.");
            schema.properties = vec![
                ("detail", Ref::Inline(Box::new(MetaSchema::new("string")))),
                ("error", Ref::Inline(Box::new(MetaSchema::new("string")))),
            ];
            schema
        });
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        framework_error(&err)
    }
}

/// Plane's body for an error raised by the framework rather than by a handler.
pub fn framework_error(err: &poem::Error) -> ApiError {
    if err.is::<NotFoundError>() || err.is::<poem_openapi::error::ParsePathError>() {
        // Plane's URL converters reject malformed ids before any view runs: 404, not 400.
        return ApiError::Message {
            status: StatusCode::NOT_FOUND,
            message: PAGE_NOT_FOUND.into(),
        };
    }
    if err.is::<MethodNotAllowedError>() {
        return ApiError::Detail {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: "Method not allowed.".into(),
        };
    }
    if let Some(ReadBodyError::PayloadTooLarge) = err.downcast_ref::<ReadBodyError>() {
        return body_too_large();
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ContentTypeError>() {
        let message = match e {
            poem_openapi::error::ContentTypeError::NotSupported { content_type } => {
                format!("Unsupported media type \"{content_type}\" in request.")
            }
            poem_openapi::error::ContentTypeError::ExpectContentType => {
                "Unsupported media type \"\" in request.".to_string()
            }
        };
        return ApiError::Detail {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message,
        };
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>() {
        // The reason can quote the whole body ("found [0,0,…]"): a few hundred characters do.
        let reason = match e.reason.char_indices().nth(300) {
            Some((cut, _)) => format!("{}…", &e.reason[..cut]),
            None => e.reason.clone(),
        };
        return ApiError::parse_error(format!("JSON parse error - {reason}"));
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return ApiError::parse_error(format!("Invalid {} parameter.", e.name));
    }
    let status = err.status();
    if status.is_server_error() {
        return ApiError::Internal(anyhow::anyhow!("{err}"));
    }
    ApiError::Detail {
        status,
        message: err.to_string(),
    }
}

pub fn body_too_large() -> ApiError {
    ApiError::Body {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        body: json!({ "error": BODY_TOO_LARGE_CODE, "detail": BODY_TOO_LARGE }),
    }
}

/// An error of a request made with `method` as Plane's JSON body (DRF names the method in
/// its 405: `Method "PUT" not allowed.`).
pub fn plane_error_for(method: &poem::http::Method, err: poem::Error) -> Response {
    if err.is::<MethodNotAllowedError>() {
        return ApiError::Detail {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: format!("Method \"{method}\" not allowed."),
        }
        .into_response();
    }
    if err.is::<ApiError>() {
        return err.into_response();
    }
    framework_error(&err).into_response()
}

/// Middleware function: every error becomes Plane's JSON body.
pub async fn plane_error_response(err: poem::Error) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    framework_error(&err).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_planes_shapes() {
        assert_eq!(
            ApiError::unauthenticated().body(),
            json!({"detail": NOT_AUTHENTICATED})
        );
        assert_eq!(
            ApiError::unauthenticated().status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(ApiError::invalid_token().status(), StatusCode::FORBIDDEN);
        assert_eq!(
            ApiError::not_found().body(),
            json!({"error": RESOURCE_MISSING})
        );
        assert_eq!(
            ApiError::field("name", "This field is required.").body(),
            json!({"name": ["This field is required."]})
        );
        assert_eq!(
            ApiError::Internal(anyhow::anyhow!("secret cause")).body(),
            json!({"error": INTERNAL})
        );
        assert_eq!(body_too_large().status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body_too_large().body(),
            json!({"error": "REQUEST_BODY_TOO_LARGE", "detail": "The size of the request body exceeds the maximum allowed size."})
        );
    }

    #[test]
    fn framework_errors_are_translated() {
        let not_found = framework_error(&poem::Error::from(NotFoundError));
        assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
        assert_eq!(not_found.body(), json!({"error": PAGE_NOT_FOUND}));
        let ct = framework_error(&poem::Error::from(
            poem_openapi::error::ContentTypeError::NotSupported {
                content_type: "text/plain".into(),
            },
        ));
        assert_eq!(ct.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            ct.body(),
            json!({"detail": "Unsupported media type \"text/plain\" in request."})
        );
    }
}
