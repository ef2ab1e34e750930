//! `GET|HEAD|PUT /api/storage/{key}?expires=…&signature=…`: the fs backend's presigned URLs
//! (S3 serves its own). The signature is the only credential; a tampered, expired or
//! wrong-method URL gets 403 and nothing is read or written.

use poem::{
    Body, Endpoint, IntoResponse, Request, Response, Result,
    http::{Method, StatusCode, header},
};
use serde_json::json;

use crate::{
    api::error::{ApiError, json_response},
    app::AppState,
    storage::{BackendKind, ObjectKey, StorageError, signer::SignatureError},
};

pub struct StorageObjects {
    pub state: AppState,
}

fn denied(message: &str) -> Response {
    json_response(StatusCode::FORBIDDEN, &json!({ "error": message }))
}

impl Endpoint for StorageObjects {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        if storage.kind() != BackendKind::Fs {
            return Ok(ApiError::not_found().into_response());
        }
        let method = req.method().clone();
        let signed_method = match method {
            Method::GET | Method::HEAD => "GET",
            Method::PUT => "PUT",
            _ => return Err(poem::error::MethodNotAllowedError.into()),
        };
        // The route is nested under the prefix, so the remaining path is the (escaped) key.
        let raw_key = req.uri().path().trim_start_matches('/').to_string();
        let Ok(decoded) = percent_encoding::percent_decode_str(&raw_key).decode_utf8() else {
            return Ok(ApiError::not_found().into_response());
        };
        let Ok(key) = ObjectKey::parse(&decoded) else {
            return Ok(ApiError::not_found().into_response());
        };
        let query: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let (Some(expires), Some(signature)) = (
            query.get("expires").and_then(|e| e.parse::<u64>().ok()),
            query.get("signature"),
        ) else {
            return Ok(denied("The link is not signed."));
        };
        match storage
            .signer()
            .verify(signed_method, &key, expires, signature)
        {
            Ok(()) => {}
            Err(SignatureError::Expired) => return Ok(denied("The link has expired.")),
            Err(SignatureError::Mismatch) => {
                return Ok(denied("The link's signature is not valid."));
            }
        }

        if method == Method::PUT {
            let bytes = req
                .take_body()
                .into_bytes()
                .await
                .map_err(|e| ApiError::parse_error(format!("cannot read the upload: {e}")))?;
            storage
                .write(&key, bytes.to_vec())
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            return Ok(Response::builder().status(StatusCode::OK).finish());
        }

        let data = match storage.read(&key).await {
            Ok(data) => data,
            Err(StorageError::NotFound) => return Ok(ApiError::not_found().into_response()),
            Err(e) => return Err(ApiError::Internal(e.into()).into()),
        };
        let mime = mime_guess::from_path(key.as_str()).first_or_octet_stream();
        let builder = Response::builder()
            .content_type(mime.essence_str())
            .header(header::CACHE_CONTROL, "private, max-age=60");
        if method == Method::HEAD {
            return Ok(builder
                .header(header::CONTENT_LENGTH, data.len().to_string())
                .finish());
        }
        Ok(builder.body(Body::from_vec(data)))
    }
}
