//! Response compression (brotli or gzip, Django's GZipMiddleware's job). Unlike poem's own
//! middleware it leaves alone what should not be compressed: HEAD, 204/304, bodies already
//! encoded (the UI's precompressed assets), and types that do not shrink (images, archives).

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
    web::{Compress, CompressionAlgo, CompressionLevel},
};

/// Picks the best encoding the client accepts: br, then gzip; none for `q=0` or absence.
pub fn negotiate(accept_encoding: Option<&str>) -> Option<CompressionAlgo> {
    let accept = accept_encoding?;
    let mut best: Option<(CompressionAlgo, u32, u8)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        let q = (quality.clamp(0.0, 1.0) * 1000.0) as u32;
        let (algo, preference) = match name.as_str() {
            "br" => (CompressionAlgo::BR, 2),
            "gzip" | "x-gzip" => (CompressionAlgo::GZIP, 1),
            _ => continue,
        };
        if q == 0 {
            continue;
        }
        if best.is_none_or(|(_, bq, bp)| (q, preference) > (bq, bp)) {
            best = Some((algo, q, preference));
        }
    }
    best.map(|(algo, _, _)| algo)
}

pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/manifest+json"
                | "application/vnd.oai.openapi+json"
                | "image/svg+xml"
        )
        || essence.ends_with("+json")
}

pub async fn compression<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let algo = negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let is_head = req.method() == Method::HEAD;
    let mut resp = next.get_response(req).await;
    let compressible = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_compressible);
    if !compressible {
        return Ok(resp);
    }
    let varies = resp.headers().get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    });
    if !varies {
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let skip = is_head
        || matches!(
            resp.status(),
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        )
        || resp.status().is_informational()
        || resp.headers().contains_key(header::CONTENT_ENCODING);
    match algo {
        Some(algo) if !skip => {
            let level = match algo {
                // Brotli's default (11) is meant for static files, far too slow per request.
                CompressionAlgo::BR => CompressionLevel::Precise(4),
                _ => CompressionLevel::Default,
            };
            Ok(Compress::new(resp, algo)
                .with_quality(level)
                .into_response())
        }
        _ => Ok(resp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_brotli_then_gzip_and_honours_q() {
        assert_eq!(
            negotiate(Some("gzip, deflate, br")),
            Some(CompressionAlgo::BR)
        );
        assert_eq!(negotiate(Some("gzip")), Some(CompressionAlgo::GZIP));
        assert_eq!(negotiate(Some("br;q=0, gzip")), Some(CompressionAlgo::GZIP));
        assert_eq!(
            negotiate(Some("br;q=0.2, gzip;q=0.9")),
            Some(CompressionAlgo::GZIP)
        );
        assert_eq!(negotiate(Some("identity")), None);
        assert_eq!(negotiate(None), None);
    }

    #[test]
    fn only_text_like_types_are_compressed() {
        assert!(is_compressible("application/json"));
        assert!(is_compressible("text/html; charset=utf-8"));
        assert!(is_compressible("application/problem+json"));
        assert!(!is_compressible("image/png"));
        assert!(!is_compressible("application/zip"));
    }
}
