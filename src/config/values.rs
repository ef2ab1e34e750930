//! Parsers for configuration value forms: sizes, durations, addresses, cron schedules, URLs.
//! Each returns the expected form on failure so the caller can name it in the error.

use std::{net::SocketAddr, time::Duration};

/// A value that must never be printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

pub type Expected = &'static str;

pub fn socket_addr(value: &str) -> Result<SocketAddr, Expected> {
    value
        .trim()
        .parse()
        .map_err(|_| "ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::]:443")
}

pub fn boolean(value: &str) -> Result<bool, Expected> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("true or false"),
    }
}

pub fn positive_int(value: &str) -> Result<u32, Expected> {
    match value.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a whole number of at least 1"),
    }
}

/// Durations up to a year: longer ones mean nothing for a timeout or a backoff, and would
/// overflow the clock arithmetic they feed (an instant plus the duration).
pub fn duration(value: &str) -> Result<Duration, Expected> {
    const EXPECTED: Expected = "a duration of at most a year, such as 30s, 10m or 1h";
    const YEAR: Duration = Duration::from_secs(366 * 24 * 3600);
    let parsed = humantime::parse_duration(value.trim()).map_err(|_| EXPECTED)?;
    if parsed > YEAR {
        return Err(EXPECTED);
    }
    Ok(parsed)
}

/// The job queue's orphan timeout: workers beat a third of it, in whole seconds, so it is at
/// least 3s.
pub fn orphan_timeout(value: &str) -> Result<Duration, Expected> {
    const EXPECTED: Expected = "a duration of at least 3s, such as 60s or 5m";
    let timeout = duration(value).map_err(|_| EXPECTED)?;
    if timeout < Duration::from_secs(3) {
        return Err(EXPECTED);
    }
    Ok(timeout)
}

/// Byte sizes: a plain number of bytes, or a number with a unit (KB, MB, GB powers of 1000;
/// KiB, MiB, GiB powers of 1024). Zero is refused: a zero body limit would reject everything.
pub fn byte_size(value: &str) -> Result<u64, Expected> {
    const EXPECTED: Expected = "a size in bytes such as 5242880, 5MiB or 10MB";
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| EXPECTED)?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(EXPECTED),
    };
    let bytes = (number * multiplier).round();
    if !(1.0..=(u64::MAX as f64)).contains(&bytes) {
        return Err(EXPECTED);
    }
    Ok(bytes as u64)
}

/// A six-field cron schedule (seconds first), as tokio-cron-scheduler reads it.
pub fn cron_schedule(value: &str) -> Result<String, Expected> {
    let text = value.trim();
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .build()
        .parse(text)
        .map(|_| text.to_string())
        .map_err(
            |_| "a six-field cron schedule (sec min hour day month weekday), e.g. 0 */10 * * * *",
        )
}

pub fn http_url(value: &str) -> Result<url::Url, Expected> {
    const EXPECTED: Expected = "an http:// or https:// URL";
    let url = url::Url::parse(value.trim()).map_err(|_| EXPECTED)?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(EXPECTED),
    }
}

pub fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A DNS name as ACME certificate authorities accept it.
pub fn domain_name(value: &str) -> Result<String, Expected> {
    const EXPECTED: Expected = "domain names such as plane.example.com, separated by commas";
    let name = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').count() >= 2
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if labels_ok { Ok(name) } else { Err(EXPECTED) }
}

/// A tracing filter: comma-separated directives, each a level or `target=level` (spans in
/// brackets allowed). tracing itself reads a bare word as a target to trace and turns
/// everything else off, so a mistyped level (`verbose`) would silence the server.
pub fn log_filter(value: &str) -> Result<String, Expected> {
    const EXPECTED: Expected = "a tracing filter such as info or info,plane_aio=debug";
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    let value = value.trim();
    let directives_ok = !value.is_empty()
        && value.split(',').all(|directive| {
            let directive = directive.trim();
            directive.contains('=')
                || directive.contains('[')
                || LEVELS.contains(&directive.to_ascii_lowercase().as_str())
        });
    if !directives_ok || tracing_subscriber::EnvFilter::try_new(value).is_err() {
        return Err(EXPECTED);
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded() {
        assert_eq!(duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(duration("1year"), Ok(Duration::from_secs(31_557_600)));
        assert!(duration("10000000000000000000s").is_err());
        assert!(duration("2years").is_err());
        assert!(duration("soon").is_err());
    }

    #[test]
    fn sizes_accept_bytes_and_units() {
        assert_eq!(byte_size("5242880"), Ok(5_242_880));
        assert_eq!(byte_size("5MiB"), Ok(5_242_880));
        assert_eq!(byte_size("10 MB"), Ok(10_000_000));
        assert_eq!(byte_size("1.5KiB"), Ok(1536));
        assert!(byte_size("0").is_err());
        assert!(byte_size("five").is_err());
        assert!(byte_size("5 parsecs").is_err());
        assert!(byte_size("-5").is_err());
    }

    #[test]
    fn cron_needs_six_fields() {
        assert!(cron_schedule("0 */10 * * * *").is_ok());
        assert!(cron_schedule("*/10 * * * *").is_err());
        assert!(cron_schedule("every tuesday").is_err());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(http_url("https://plane.example.com").is_ok());
        assert!(http_url("ftp://x").is_err());
        assert!(http_url("plane.example.com").is_err());
    }

    #[test]
    fn domains_are_checked() {
        assert_eq!(
            domain_name("Plane.Example.com."),
            Ok("plane.example.com".into())
        );
        assert!(domain_name("localhost").is_err());
        assert!(domain_name("bad_name.example.com").is_err());
        assert!(domain_name("-x.example.com").is_err());
    }

    #[test]
    fn log_filters_need_levels() {
        assert_eq!(log_filter("info"), Ok("info".into()));
        assert!(log_filter("WARN").is_ok());
        assert!(log_filter("info,plane_aio=debug").is_ok());
        assert!(log_filter("plane_aio::http=trace").is_ok());
        assert!(
            log_filter("verbose").is_err(),
            "a bare word would trace only that target"
        );
        assert!(log_filter("info,verbose").is_err());
        assert!(log_filter("info,,debug").is_err());
        assert!(log_filter("").is_err());
        assert!(log_filter("plane_aio=loud").is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }
}
