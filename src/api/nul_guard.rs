//! Refuses NUL characters before they reach a query. Postgres cannot store one in text or
//! JSON (SQLite would), so without this guard a `\u0000` in a name, a slug or a filter would
//! end as a database error, a 500, on one engine only. Django REST framework refuses them in
//! its fields with `"Null characters are not allowed."`; the same words answer here, for the
//! field of a JSON body that holds one (at any depth) and for a path or query string. Bodies
//! of more values than [`super::input::MAX_JSON_VALUES`] are refused here too, unparsed. Paths,
//! queries and the UI's own JSON bodies are checked by the API middleware; `/api/v1/` bodies
//! when their handler reads them (after the permission check).

use poem::{
    IntoResponse, Request, Response,
    http::{Method, StatusCode},
};
use serde_json::{Value, json};

use super::error::{ApiError, json_response};

pub const NUL_REFUSED: &str = "Null characters are not allowed.";

/// A 400 when the request carries a NUL character, else None (the body, if read, is put back).
/// `check_body` is false for routes whose bodies [`super::input::PlaneBody`] reads: it refuses
/// them itself, once the rule book has let the caller in (who may not write gets 403 whatever
/// they send, as in DRF).
pub async fn refuse_nul_characters(req: &mut Request, check_body: bool) -> Option<Response> {
    // A NUL byte cannot appear raw in a URI; percent-encoded it is `%00`.
    let uri = req.uri();
    let in_uri = uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00"));
    if in_uri {
        return Some(json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": NUL_REFUSED }),
        ));
    }
    if !check_body || matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let is_json = req
        .content_type()
        .and_then(|ct| ct.parse::<mime::Mime>().ok())
        .is_some_and(|mime| mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"));
    if !is_json {
        return None;
    }
    // The body limit has run: a declared length is within it, an undeclared one was read.
    let body = match req.take_body().into_bytes().await {
        Ok(body) => body,
        Err(e) => {
            return Some(
                ApiError::parse_error(format!("cannot read the request body: {e}")).into_response(),
            );
        }
    };
    // A body too large to parse safely is refused before anything parses it (these routes'
    // own extractors included); bad JSON is the handler's to refuse, in its own words.
    let refused = if let Some(too_large) = super::input::too_many_values(&body) {
        Some(too_large)
    } else if may_hold_nul(&body) {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| refusal(&body, &value))
    } else {
        None
    };
    req.set_body(body);
    refused.map(IntoResponse::into_response)
}

/// In JSON a NUL can only be written as the escape `\u0000`: bodies without those letters
/// (nearly all) need no closer look.
fn may_hold_nul(raw: &[u8]) -> bool {
    contains(raw, b"u0000")
}

/// DRF's 400 for a JSON body (`raw`, parsed as `value`) holding a NUL character.
pub fn refusal(raw: &[u8], value: &Value) -> Option<ApiError> {
    if !may_hold_nul(raw) {
        return None;
    }
    field_with_nul(value).map(|field| ApiError::field(field, NUL_REFUSED))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The top-level field holding a NUL (in a key or a string, at any depth), as DRF names it.
fn field_with_nul(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, inner)| {
            (key.contains('\0') || holds_nul(inner)).then(|| key.replace('\0', ""))
        }),
        other if holds_nul(other) => Some("non_field_errors".to_string()),
        _ => None,
    }
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, inner)| key.contains('\0') || holds_nul(inner)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_that_holds_a_nul_at_any_depth() {
        let at = |text: &str| field_with_nul(&serde_json::from_str(text).unwrap());
        assert_eq!(at(r#"{"name": "a\u0000b"}"#).as_deref(), Some("name"));
        assert_eq!(
            at(r#"{"name": "ok", "logo_props": {"x": ["\u0000"]}}"#).as_deref(),
            Some("logo_props")
        );
        assert_eq!(at(r#"["\u0000"]"#).as_deref(), Some("non_field_errors"));
        // An escaped backslash followed by the letters is text, not a NUL.
        assert_eq!(at(r#"{"name": "\\u0000"}"#), None);
        assert_eq!(at(r#"{"name": "plain", "n": 5}"#), None);
    }
}
