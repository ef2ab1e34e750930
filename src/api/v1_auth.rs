//! Authentication of Plane's public API: every `/api/v1/` request is authenticated before its
//! handler parses anything, as Plane's DRF views do, so a client without credentials gets
//! Plane's 401 body whatever else is wrong with its request.
//!
//! Credentials are the `X-Api-Key` header (any case). API tokens are created by accounts; until
//! an account has issued one there is no token a key could match, so every key is answered
//! with Plane's 403 "Given API token is not valid".

use poem::{Endpoint, IntoResponse, Request, Response, Result};

use super::error::ApiError;

pub const API_KEY_HEADER: &str = "x-api-key";

pub async fn authenticate<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let key = req
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match key {
        None => Ok(ApiError::unauthenticated().into_response()),
        Some(_) => {
            let _ = next;
            Ok(ApiError::invalid_token().into_response())
        }
    }
}
