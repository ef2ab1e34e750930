//! Reads one raw configuration value and parses it, naming the key and its source on failure.

use super::{
    ConfigError, keys,
    layers::{RawConfig, Source},
    values,
};

/// A value as an error message may repeat it: a secret's is hidden (a URL keeps all but its
/// password, which helps to spot a typo in the rest).
fn shown(name: &str, value: &str) -> String {
    if keys::find(name).is_some_and(|key| key.secret) {
        super::redact_url_password(value)
    } else {
        value.to_string()
    }
}

/// Reads one raw value and parses it, naming the key and source on failure.
pub(super) struct Reader<'a> {
    pub(super) raw: &'a RawConfig,
}

impl Reader<'_> {
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.raw
            .get(name)
            .map(|v| v.value.trim())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn parse<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, values::Expected>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(raw) = self.raw.get(name) else {
            return Ok(None);
        };
        if raw.value.trim().is_empty() {
            return Ok(None);
        }
        parse(&raw.value)
            .map(Some)
            .map_err(|expected| ConfigError::Invalid {
                key: name.to_string(),
                value: shown(name, &raw.value),
                origin: raw.source.clone(),
                expected: expected.to_string(),
            })
    }

    pub(super) fn parse_or<T>(
        &self,
        name: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, values::Expected>,
    ) -> Result<T, ConfigError> {
        match self.parse(name, &parse)? {
            Some(v) => Ok(v),
            None => parse(default).map_err(|expected| ConfigError::Invalid {
                key: name.to_string(),
                value: default.to_string(),
                origin: Source::Default,
                expected: expected.to_string(),
            }),
        }
    }

    pub(super) fn choice<T: Copy>(
        &self,
        name: &str,
        default: T,
        choices: &[(&str, T)],
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        self.parse(name, |v| {
            let v = v.trim().to_ascii_lowercase();
            choices
                .iter()
                .find(|(label, _)| *label == v)
                .map(|(_, value)| *value)
                .ok_or(expected)
        })
        .map(|v| v.unwrap_or(default))
    }

    /// A cron schedule; `None` when switched off (`off`, or an empty flag or file value).
    pub(super) fn schedule(
        &self,
        name: &str,
        default: &str,
    ) -> Result<Option<String>, ConfigError> {
        match self.raw.get(name) {
            Some(v) if v.value.trim().is_empty() || v.value.trim() == "off" => Ok(None),
            _ => self
                .parse_or(name, default, values::cron_schedule)
                .map(Some),
        }
    }

    pub(super) fn source(&self, name: &str) -> Source {
        self.raw
            .get(name)
            .map(|v| v.source.clone())
            .unwrap_or(Source::Default)
    }

    pub(super) fn invalid(&self, name: &str, expected: &str) -> ConfigError {
        ConfigError::Invalid {
            key: name.to_string(),
            value: self
                .raw
                .get(name)
                .map(|v| shown(name, &v.value))
                .unwrap_or_default(),
            origin: self.source(name),
            expected: expected.to_string(),
        }
    }
}
