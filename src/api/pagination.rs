//! Plane's pagination: `per_page` and `cursor` query parameters in, the envelope out
//! (`plane-api-v1.md` §2). Despite the name the cursor is a page number:
//! `"<per_page>:<page>:<is_prev>"`, and rows `[page*per_page, (page+1)*per_page)` are returned.
//!
//! Differences from Plane, on purpose: `per_page=0` and negative values answer 400 instead of
//! crashing, a cursor whose first part disagrees with `per_page` is harmless (Plane 500s
//! when it also has is_prev=1), and a page so far out that its rows would start beyond the
//! largest offset a database takes (i64::MAX) is a bad cursor (400), not a database error.

use super::error::ApiError;
use poem_openapi::{
    Object,
    types::{ParseFromJSON, ToJSON},
};

/// Plane's default and largest page size.
pub const MAX_PER_PAGE: u64 = 1000;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub per_page: u64,
    pub page: u64,
}

impl PageRequest {
    /// Parses the two query parameters; `default_per_page` applies when `per_page` is absent.
    pub fn parse(
        per_page: Option<&str>,
        cursor: Option<&str>,
        default_per_page: u64,
    ) -> Result<PageRequest, ApiError> {
        let per_page = match per_page {
            None => default_per_page,
            Some(text) => {
                let n: i64 = text
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::parse_error("Invalid per_page parameter."))?;
                if n > MAX_PER_PAGE as i64 {
                    return Err(ApiError::parse_error(
                        "Invalid per_page value. Cannot exceed 1000.",
                    ));
                }
                if n < 1 {
                    return Err(ApiError::parse_error("Invalid per_page parameter."));
                }
                n as u64
            }
        };
        let page = match cursor {
            None => 0,
            Some(text) => parse_cursor_page(text)?,
        };
        // Databases take offsets as signed 64-bit integers: the page's end (which also bounds
        // its offset and the next page's number) must fit one.
        let end = page
            .checked_add(1)
            .and_then(|pages| pages.checked_mul(per_page))
            .filter(|end| i64::try_from(*end).is_ok());
        if end.is_none() {
            return Err(ApiError::parse_error("Invalid cursor parameter."));
        }
        Ok(PageRequest { per_page, page })
    }

    pub fn offset(&self) -> u64 {
        self.page.saturating_mul(self.per_page)
    }

    pub fn limit(&self) -> u64 {
        self.per_page
    }

    /// Wraps one page of results in Plane's envelope.
    pub fn envelope<T>(&self, results: Vec<T>, total_count: u64) -> Page<T>
    where
        T: ParseFromJSON + ToJSON + Send + Sync,
    {
        let per_page = self.per_page;
        let page = self.page as i64;
        Page {
            grouped_by: None,
            sub_grouped_by: None,
            total_count,
            next_cursor: format!("{per_page}:{}:0", page + 1),
            prev_cursor: format!("{per_page}:{}:1", page - 1),
            next_page_results: total_count > self.offset().saturating_add(per_page),
            prev_page_results: page > 0,
            count: results.len() as u64,
            total_pages: total_count.div_ceil(per_page),
            total_results: total_count,
            extra_stats: None,
            results,
        }
    }
}

/// `"<value>:<page>:<is_prev>"`: value an integer or a decimal, page a non-negative integer,
/// is_prev 0 or 1.
fn parse_cursor_page(text: &str) -> Result<u64, ApiError> {
    let invalid = || ApiError::parse_error("Invalid cursor parameter.");
    let parts: Vec<&str> = text.split(':').collect();
    let [value, page, is_prev] = parts.as_slice() else {
        return Err(invalid());
    };
    let value_ok = if value.contains('.') {
        value.parse::<f64>().is_ok_and(f64::is_finite)
    } else {
        value.parse::<i64>().is_ok()
    };
    if !value_ok || !matches!(*is_prev, "0" | "1") {
        return Err(invalid());
    }
    let page: i64 = page.parse().map_err(|_| invalid())?;
    if page < 0 {
        return Err(ApiError::parse_error("Error in parsing"));
    }
    Ok(page as u64)
}

/// Plane's pagination envelope, keys in the order Plane emits them.
#[derive(Debug, Clone, Object)]
pub struct Page<T: ParseFromJSON + ToJSON + Send + Sync> {
    pub grouped_by: Option<String>,
    pub sub_grouped_by: Option<String>,
    pub total_count: u64,
    pub next_cursor: String,
    pub prev_cursor: String,
    pub next_page_results: bool,
    pub prev_page_results: bool,
    pub count: u64,
    pub total_pages: u64,
    pub total_results: u64,
    pub extra_stats: Option<serde_json::Value>,
    pub results: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err_body(e: ApiError) -> serde_json::Value {
        e.body()
    }

    #[test]
    fn defaults_to_the_first_page_of_a_thousand() {
        assert_eq!(
            PageRequest::parse(None, None, 1000).unwrap(),
            PageRequest {
                per_page: 1000,
                page: 0
            }
        );
        assert_eq!(PageRequest::parse(None, None, 20).unwrap().per_page, 20);
    }

    #[test]
    fn cursor_selects_the_page() {
        let r = PageRequest::parse(Some("50"), Some("50:2:0"), 1000).unwrap();
        assert_eq!((r.offset(), r.limit()), (100, 50));
        assert_eq!(
            PageRequest::parse(Some("10"), Some("10.5:1:1"), 1000)
                .unwrap()
                .page,
            1
        );
    }

    #[test]
    fn bad_parameters_get_planes_messages() {
        let e = |p: Option<&str>, c: Option<&str>| {
            err_body(PageRequest::parse(p, c, 1000).unwrap_err())
        };
        assert_eq!(
            e(Some("abc"), None),
            json!({"detail": "Invalid per_page parameter."})
        );
        assert_eq!(
            e(Some("1001"), None),
            json!({"detail": "Invalid per_page value. Cannot exceed 1000."})
        );
        assert_eq!(
            e(Some("0"), None),
            json!({"detail": "Invalid per_page parameter."})
        );
        assert_eq!(
            e(Some("-3"), None),
            json!({"detail": "Invalid per_page parameter."})
        );
        for bad in [
            "", "1:2", "a:1:0", "10:x:0", "10:1:2", "10:1:0:0", "nan.:1:0",
        ] {
            assert_eq!(
                e(None, Some(bad)),
                json!({"detail": "Invalid cursor parameter."}),
                "{bad:?}"
            );
        }
        assert_eq!(
            e(None, Some("10:-1:1")),
            json!({"detail": "Error in parsing"})
        );
    }

    #[test]
    fn pages_beyond_the_largest_offset_are_bad_cursors() {
        let e =
            |p: Option<&str>, c: &str| err_body(PageRequest::parse(p, Some(c), 1000).unwrap_err());
        let bad = json!({"detail": "Invalid cursor parameter."});
        assert_eq!(e(Some("1000"), "1000:10000000000000000:0"), bad);
        assert_eq!(e(Some("1000"), "1000:9223372036854775807:0"), bad);
        // The default page size counts as well.
        assert_eq!(e(None, "1000:9223372036854775:0"), bad);
        // The next page's number would not fit.
        assert_eq!(e(Some("1"), "1:9223372036854775807:1"), bad);

        let last = PageRequest::parse(Some("1"), Some("1:9223372036854775806:0"), 1000).unwrap();
        assert_eq!(last.offset(), i64::MAX as u64 - 1);
        assert_eq!(
            last.envelope(Vec::<i32>::new(), 3).next_cursor,
            "1:9223372036854775807:0"
        );
        let last = PageRequest::parse(None, Some("1000:9223372036854774:0"), 1000).unwrap();
        assert_eq!(last.offset() + last.limit(), 9_223_372_036_854_775_000);
    }

    #[test]
    fn envelope_matches_planes_fields_and_order() {
        let r = PageRequest::parse(Some("2"), Some("2:1:0"), 1000).unwrap();
        let page = r.envelope(vec![3, 4], 5);
        let text = serde_json::to_string(&page.to_json().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"grouped_by":null,"sub_grouped_by":null,"total_count":5,"next_cursor":"2:2:0","prev_cursor":"2:0:1","next_page_results":true,"prev_page_results":true,"count":2,"total_pages":3,"total_results":5,"extra_stats":null,"results":[3,4]}"#
        );
        let first = PageRequest::parse(None, None, 1000)
            .unwrap()
            .envelope(Vec::<i32>::new(), 0);
        assert_eq!(first.prev_cursor, "1000:-1:1");
        assert!(!first.next_page_results && !first.prev_page_results);
        assert_eq!(first.total_pages, 0);
    }
}
