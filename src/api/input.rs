//! Request bodies read the way Django REST framework reads them, so a wrong value gets Plane's
//! answer: every field is checked, and all problems come back at once as
//! `{"field": ["message"]}` (400). Strings are trimmed, numbers may arrive as strings, booleans
//! as `"true"`/`1`, as DRF accepts them.
//!
//! [`PlaneBody<T>`] takes the raw JSON (bad JSON: 400 `{"detail": "JSON parse error - …"}`,
//! another content type: 415, both once the caller is let in) while `T` documents the body in the OpenAPI document; the handler
//! then reads it field by field with an [`Input`].

use std::{collections::BTreeMap, marker::PhantomData};

use super::python_text::python_str;
use poem::{FromRequest, Request, RequestBody, Result};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::{ContentTypeError, ParseRequestPayloadError},
    payload::Payload,
    registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry},
    types::Type,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::{ApiError, framework_error};

pub const REQUIRED: &str = "This field is required.";
pub const NOT_NULL: &str = "This field may not be null.";
pub const NOT_BLANK: &str = "This field may not be blank.";

/// The most values a JSON body may hold. Parsed, each value takes some 80 bytes whatever its
/// length in the text (`0,` is two bytes), so a 5 MiB body of `[0,0,…]` would take ~300 MB
/// before any handler could refuse it; the largest bodies clients send (a list of points, a
/// long description) are far below this.
pub const MAX_JSON_VALUES: usize = 100_000;

/// At least how many values `raw` holds: its separators and openings outside strings, plus
/// one. Counted on the bytes, before anything is built from them.
fn json_value_count(raw: &[u8]) -> usize {
    let (mut count, mut in_string, mut escaped) = (1, false, false);
    for &byte in raw {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
        }
    }
    count
}

/// The 400 for a body of more than [`MAX_JSON_VALUES`] values, which is not parsed at all.
pub fn too_many_values(raw: &[u8]) -> Option<ApiError> {
    (json_value_count(raw) > MAX_JSON_VALUES).then(|| {
        ApiError::parse_error(format!(
            "JSON parse error - the body holds more than {MAX_JSON_VALUES} values"
        ))
    })
}

/// Parses a JSON body: DRF's 400 for bad JSON, and [`too_many_values`]'s.
pub fn parse_json(raw: &[u8]) -> Result<Value, ApiError> {
    if let Some(too_large) = too_many_values(raw) {
        return Err(too_large);
    }
    serde_json::from_slice(raw).map_err(|err| {
        framework_error(
            &ParseRequestPayloadError {
                reason: err.to_string(),
            }
            .into(),
        )
    })
}

/// A JSON request body, documented as `T`.
///
/// A body that is not JSON, or not declared as JSON, is only refused when the handler reads it,
/// which it does after the rule book has let the caller in: as in DRF (whose `request.data` is
/// parsed lazily), someone without access gets 403 whatever they send, not 400 or 415.
pub struct PlaneBody<T> {
    read: Result<Value, ApiError>,
    _schema: PhantomData<fn() -> T>,
}

impl<T> PlaneBody<T> {
    /// The body as an object to read fields from.
    pub fn input(self) -> Result<Input, ApiError> {
        Input::new(self.read?)
    }

    /// The parsed JSON value (an empty body reads as `null`).
    pub fn value(self) -> Result<Value, ApiError> {
        self.read
    }
}

fn is_json(content_type: &str) -> bool {
    matches!(content_type.parse::<mime::Mime>(), Ok(mime) if mime.type_() == "application"
        && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")))
}

impl<T: Type> Payload for PlaneBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<'a, T: Type> ApiExtractor<'a> for PlaneBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        // Reading can fail only for the transport's reasons (too large: 413), answered at once.
        let data = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        let empty = data.iter().all(u8::is_ascii_whitespace);
        let read = match request.content_type() {
            Some(content_type) if !is_json(content_type) => Err(framework_error(
                &ContentTypeError::NotSupported {
                    content_type: content_type.to_string(),
                }
                .into(),
            )),
            None if !empty => Err(framework_error(&ContentTypeError::ExpectContentType.into())),
            _ if empty => Ok(Value::Null),
            _ => {
                parse_json(&data).and_then(|value| match super::nul_guard::refusal(&data, &value) {
                    Some(refused) => Err(refused),
                    None => Ok(value),
                })
            }
        };
        Ok(PlaneBody {
            read,
            _schema: PhantomData,
        })
    }
}

/// Rules for a text field (DRF `CharField`).
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub max_len: usize,
    pub allow_blank: bool,
}

impl Text {
    pub const fn max(max_len: usize) -> Text {
        Text {
            max_len,
            allow_blank: false,
        }
    }

    pub const fn blank_ok(max_len: usize) -> Text {
        Text {
            max_len,
            allow_blank: true,
        }
    }
}

/// A request body being read; collects every field's problems.
#[derive(Debug)]
pub struct Input {
    map: Map<String, Value>,
    errors: BTreeMap<String, Vec<String>>,
}

impl Input {
    /// An empty body reads as `{}`; anything but an object is refused as DRF does.
    pub fn new(body: Value) -> Result<Input, ApiError> {
        let map = match body {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                let kind = match other {
                    Value::Array(_) => "list",
                    Value::String(_) => "str",
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_f64() => "float",
                    _ => "int",
                };
                return Err(ApiError::field(
                    "non_field_errors",
                    format!("Invalid data. Expected a dictionary, but got {kind}."),
                ));
            }
        };
        Ok(Input {
            map,
            errors: BTreeMap::new(),
        })
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Records a problem with `key`.
    pub fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors
            .entry(key.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Every problem found, as Plane's 400 body; `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(self.errors))
        }
    }

    /// Records "This field is required." for each missing key.
    pub fn require(&mut self, keys: &[&str]) {
        for key in keys {
            if !self.has(key) {
                self.fail(key, REQUIRED);
            }
        }
    }

    /// A non-null text field: `None` when absent or invalid (the problem is recorded).
    pub fn text(&mut self, key: &str, rule: Text) -> Option<String> {
        match self.nullable_text(key, rule)? {
            Some(text) => Some(text),
            None => {
                self.fail(key, NOT_NULL);
                None
            }
        }
    }

    /// A text field that may be `null`: `Some(None)` for null.
    pub fn nullable_text(&mut self, key: &str, rule: Text) -> Option<Option<String>> {
        let text = match self.map.get(key)? {
            Value::Null => return Some(None),
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => {
                self.fail(key, "Not a valid string.");
                return None;
            }
        };
        if text.is_empty() && !rule.allow_blank {
            self.fail(key, NOT_BLANK);
            return None;
        }
        if text.chars().count() > rule.max_len {
            self.fail(
                key,
                format!(
                    "Ensure this field has no more than {} characters.",
                    rule.max_len
                ),
            );
            return None;
        }
        Some(Some(text))
    }

    /// A boolean (DRF accepts `true`, `"true"`, `"1"`, `1`, `"yes"`, `"on"` and their opposites).
    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        let parsed = match self.map.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_f64() {
                Some(1.0) => Some(true),
                Some(0.0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "true" | "True" | "TRUE" | "t" | "T" | "yes" | "Yes" | "YES" | "y" | "Y" | "on"
                | "On" | "ON" | "1" => Some(true),
                "false" | "False" | "FALSE" | "f" | "F" | "no" | "No" | "NO" | "n" | "N"
                | "off" | "Off" | "OFF" | "0" => Some(false),
                _ => None,
            },
            Value::Null => {
                self.fail(key, NOT_NULL);
                return None;
            }
            _ => None,
        };
        if parsed.is_none() {
            self.fail(key, "Must be a valid boolean.");
        }
        parsed
    }

    /// An integer within `min..=max` (also from a string or an integral float).
    pub fn integer(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let parsed = match self.map.get(key)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && f.fract() == 0.0)
                        .map(|f| f as i64)
                })
            }
            Value::Null => {
                self.fail(key, NOT_NULL);
                return None;
            }
            _ => None,
        };
        let Some(value) = parsed else {
            self.fail(key, "A valid integer is required.");
            return None;
        };
        if value < min {
            self.fail(
                key,
                format!("Ensure this value is greater than or equal to {min}."),
            );
            return None;
        }
        if value > max {
            self.fail(
                key,
                format!("Ensure this value is less than or equal to {max}."),
            );
            return None;
        }
        Some(value)
    }

    /// A finite number (also from a string).
    pub fn number(&mut self, key: &str) -> Option<f64> {
        let parsed = match self.map.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Null => {
                self.fail(key, NOT_NULL);
                return None;
            }
            _ => None,
        }
        .filter(|f| f.is_finite());
        if parsed.is_none() {
            self.fail(key, "A valid number is required.");
        }
        parsed
    }

    /// A reference to another row by id; `Some(None)` for null or `""`. A value that is no
    /// UUID gets the message Plane answers with (Django's UUID check, which DRF's
    /// `PrimaryKeyRelatedField` lets through; a bool is DRF's own "incorrect type"). A
    /// non-negative integer is a UUID to Django (`UUID(int=n)`) but never one of ours (ids are
    /// v7), so it gets DRF's "does not exist" at once; whether any other row exists is the
    /// caller's check.
    pub fn reference(&mut self, key: &str) -> Option<Option<Uuid>> {
        let message = match self.map.get(key)? {
            Value::Null => return Some(None),
            Value::String(s) if s.is_empty() => return Some(None),
            Value::String(s) => match Uuid::parse_str(s) {
                Ok(id) => return Some(Some(id)),
                Err(_) => not_a_uuid(s),
            },
            Value::Bool(_) => "Incorrect type. Expected pk value, received bool.".to_string(),
            Value::Number(n) if n.is_u64() => does_not_exist(&n.to_string()),
            other => not_a_uuid(&python_str(other)),
        };
        self.fail(key, message);
        None
    }

    /// One of `choices`, compared as Python's `str()` of the value as DRF does: `20` and `"20"`
    /// both match `"20"`, while `20.0` and `true` (`"True"`) do not.
    pub fn choice<'c>(&mut self, key: &str, choices: &[&'c str]) -> Option<&'c str> {
        let text = match self.map.get(key)? {
            Value::Null => {
                self.fail(key, NOT_NULL);
                return None;
            }
            other => python_str(other),
        };
        match choices.iter().find(|c| **c == text) {
            Some(choice) => Some(choice),
            None => {
                self.fail(key, format!("\"{text}\" is not a valid choice."));
                None
            }
        }
    }

    /// Any JSON value (Plane's `JSONField`); `null` included. Up to [`JSON_FIELD_MAX`] bytes
    /// written out: these hold display settings (an icon, a colour), and a row is cached and
    /// listed by the thousand, so one must not carry megabytes.
    pub fn json(&mut self, key: &str) -> Option<Value> {
        let value = self.map.get(key)?;
        let size = serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len());
        if size > JSON_FIELD_MAX {
            self.fail(
                key,
                format!("Ensure this field has no more than {JSON_FIELD_MAX} bytes of JSON."),
            );
            return None;
        }
        Some(value.clone())
    }
}

/// The most bytes a JSON field ([`Input::json`]) holds.
pub const JSON_FIELD_MAX: usize = 16 * 1024;

/// DRF's message for a reference to a row that does not exist.
pub fn does_not_exist(value: &str) -> String {
    format!("Invalid pk \"{value}\" - object does not exist.")
}

/// Django's message for a value that is no UUID.
fn not_a_uuid(shown: &str) -> String {
    format!("\u{201c}{shown}\u{201d} is not a valid UUID.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_counted_outside_strings_only() {
        assert_eq!(json_value_count(br#"{"a": [1, 2], "b": "x,y[{"}"#), 5);
        // An escaped quote does not end the string; an escaped backslash escapes nothing more.
        assert_eq!(json_value_count(br#""a \" , [""#), 1);
        assert_eq!(json_value_count(br#""a \\" , ["#), 3);
        assert_eq!(json_value_count(b""), 1);
    }

    #[test]
    fn fields_are_read_like_drf() {
        let mut input = Input::new(json!({
            "name": "  Apollo  ", "blank": " ", "long": "abcdef", "flag": "true", "n": "12",
            "f": 2.0, "bad": [1], "id": "not-a-uuid", "role": 20, "nil": null
        }))
        .unwrap();
        assert_eq!(input.text("name", Text::max(10)).as_deref(), Some("Apollo"));
        assert_eq!(input.text("blank", Text::max(10)), None);
        assert_eq!(input.text("long", Text::max(3)), None);
        assert_eq!(input.boolean("flag"), Some(true));
        assert_eq!(input.integer("n", 0, 100), Some(12));
        assert_eq!(input.integer("f", 0, 1), None);
        assert_eq!(input.text("bad", Text::max(3)), None);
        assert_eq!(input.reference("id"), None);
        assert_eq!(input.choice("role", &["5", "15", "20"]), Some("20"));
        assert_eq!(input.text("nil", Text::max(3)), None);
        assert_eq!(input.text("absent", Text::max(3)), None);
        input.require(&["absent"]);
        let body = input.finish().unwrap_err().body();
        assert_eq!(
            body,
            json!({
                "absent": ["This field is required."],
                "bad": ["Not a valid string."],
                "blank": ["This field may not be blank."],
                "f": ["Ensure this value is less than or equal to 1."],
                "id": ["\u{201c}not-a-uuid\u{201d} is not a valid UUID."],
                "long": ["Ensure this field has no more than 3 characters."],
                "nil": ["This field may not be null."],
            })
        );
    }

    /// Plane's messages, as Django's UUID check and DRF show each kind of value.
    #[test]
    fn references_that_are_no_uuid_get_planes_messages() {
        let cases = [
            (json!(5), "Invalid pk \"5\" - object does not exist."),
            (json!(-5), "\u{201c}-5\u{201d} is not a valid UUID."),
            (json!(1.5), "\u{201c}1.5\u{201d} is not a valid UUID."),
            (
                json!(true),
                "Incorrect type. Expected pk value, received bool.",
            ),
            (
                json!({"id": 1, "it's": [null, false, "a\"b"]}),
                "\u{201c}{'id': 1, \"it's\": [None, False, 'a\"b']}\u{201d} is not a valid UUID.",
            ),
            (json!(" "), "\u{201c} \u{201d} is not a valid UUID."),
        ];
        for (value, message) in cases {
            let mut input = Input::new(json!({ "ref": value })).unwrap();
            assert_eq!(input.reference("ref"), None, "{value}");
            assert_eq!(
                input.finish().unwrap_err().body(),
                json!({"ref": [message]}),
                "{value}"
            );
        }
        let id = uuid::Uuid::now_v7();
        for (value, expected) in [
            (json!(null), None),
            (json!(""), None),
            (json!(id.to_string()), Some(id)),
            (json!(id.simple().to_string()), Some(id)),
        ] {
            let mut input = Input::new(json!({ "ref": value })).unwrap();
            assert_eq!(input.reference("ref"), Some(expected));
        }
    }

    #[test]
    fn only_objects_are_bodies() {
        assert!(Input::new(Value::Null).is_ok());
        assert_eq!(
            Input::new(json!([1])).unwrap_err().body(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        );
    }
}
