//! JSON value types written the way Plane writes them.

use chrono::{DateTime, NaiveDate, SecondsFormat, Timelike, Utc};
use poem_openapi::{
    NewType,
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON},
};
use serde_json::Value;

/// A datetime as Plane (DRF) renders it: ISO 8601 in UTC with `Z`, microseconds only when
/// they are not zero (`2026-11-25T10:04:05Z`, `2026-11-25T10:04:05.120000Z`). Plane renders
/// datetimes in the caller's time zone; plane-aio always answers in UTC, which names the same
/// instant and is what every client parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, NewType)]
#[oai(
    to_json = false,
    from_json = false,
    to_header = false,
    from_parameter = false,
    from_multipart = false
)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn render(&self) -> String {
        render_datetime(&self.0)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Timestamp {
        Timestamp(value)
    }
}

pub fn render_datetime(value: &DateTime<Utc>) -> String {
    if value.nanosecond() / 1_000 == 0 {
        value.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        value.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.render()))
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => DateTime::parse_from_rfc3339(&text)
                .map(|dt| Timestamp(dt.with_timezone(&Utc)))
                .map_err(|e| ParseError::custom(e.to_string())),
            _ => Err(ParseError::expected_type(Value::Null)),
        }
    }
}

/// A calendar date, `YYYY-MM-DD`.
pub fn render_date(value: &NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn datetimes_look_like_planes() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 25, 10, 4, 5).unwrap();
        assert_eq!(render_datetime(&whole), "2026-11-25T10:04:05Z");
        let fraction = whole.with_nanosecond(120_000_999).unwrap();
        assert_eq!(render_datetime(&fraction), "2026-11-25T10:04:05.120000Z");
        assert_eq!(
            Timestamp(fraction).to_json(),
            Some(Value::String("2026-11-25T10:04:05.120000Z".into()))
        );
    }
}
