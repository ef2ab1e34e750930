//! The embedded web UI (built from `web/` by `build.rs`, embedded with rust-embed).
//!
//! Any GET/HEAD path that is not an API route serves the matching file, or `index.html` so the
//! single-page app can route it (a missing `/assets/…` file is a 404, not the page). Hashed build assets (`/assets/…`) are cached for a year as
//! immutable; everything else must be revalidated. Brotli/gzip variants produced at build time
//! are served when the client accepts them, so nothing is compressed per request.

use std::borrow::Cow;

use poem::{
    Endpoint, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
};
use rust_embed::RustEmbed;

use super::compression::negotiate;

#[derive(RustEmbed)]
#[folder = "web/dist/"]
struct Assets;

/// Content-Security-Policy of the UI pages: only our own scripts and API.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self'; \
frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

pub struct WebUi;

struct Found {
    path: String,
    file: rust_embed::EmbeddedFile,
    encoding: Option<&'static str>,
}

fn lookup(path: &str, accept_encoding: Option<&str>) -> Option<Found> {
    let plain = Assets::get(path)?;
    let variants: &[(&str, &str)] = match negotiate(accept_encoding) {
        Some(poem::web::CompressionAlgo::BR) => &[("br", ".br"), ("gzip", ".gz")],
        Some(_) => &[("gzip", ".gz")],
        None => &[],
    };
    for (encoding, suffix) in variants {
        if let Some(file) = Assets::get(&format!("{path}{suffix}")) {
            return Some(Found {
                path: path.to_string(),
                file,
                encoding: Some(encoding),
            });
        }
    }
    Some(Found {
        path: path.to_string(),
        file: plain,
        encoding: None,
    })
}

impl Endpoint for WebUi {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return Err(poem::error::MethodNotAllowedError.into());
        }
        let accept = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let requested = req.uri().path().trim_start_matches('/');
        let found = if requested.is_empty() || requested.ends_with('/') {
            None
        } else {
            lookup(requested, accept)
        };
        // A missing build asset (an old page asking for a file a new release replaced) is a
        // 404: answering it with the HTML page would be cached as script and break the page.
        if found.is_none() && requested.starts_with("assets/") {
            return Ok(Response::builder()
                .status(StatusCode::NOT_FOUND)
                .content_type("text/plain; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-cache")
                .body("Not found."));
        }
        let Some(found) = found.or_else(|| lookup("index.html", accept)) else {
            // The build always produces index.html; without it there is nothing to serve.
            return Ok(Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("text/plain; charset=utf-8")
                .body("The web UI was not built into this binary."));
        };
        Ok(respond(&req, found))
    }
}

fn respond(req: &Request, found: Found) -> Response {
    let etag = format!(
        "\"{}{}\"",
        hex::encode(&found.file.metadata.sha256_hash()[..16]),
        found.encoding.map(|e| format!("-{e}")).unwrap_or_default()
    );
    let is_html = found.path.ends_with(".html");
    let cache = if found.path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = mime_guess::from_path(&found.path).first_or_octet_stream();
    let content_type: Cow<'static, str> =
        if mime.type_() == "text" || mime.essence_str() == "application/javascript" {
            format!("{}; charset=utf-8", mime.essence_str()).into()
        } else {
            mime.essence_str().to_string().into()
        };

    let mut builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, cache)
        .header(header::VARY, "accept-encoding")
        .content_type(content_type.as_ref());
    if let Some(encoding) = found.encoding {
        builder = builder.header(header::CONTENT_ENCODING, encoding);
    }
    if is_html {
        builder = builder.header("content-security-policy", CSP);
    }

    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    let length = found.file.data.len();
    if req.method() == Method::HEAD {
        let mut resp = builder.finish();
        if let Ok(value) = HeaderValue::from_str(&length.to_string()) {
            resp.headers_mut().insert(header::CONTENT_LENGTH, value);
        }
        return resp;
    }
    builder.body(found.file.data.into_owned())
}
