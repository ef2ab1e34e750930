//! What `plane-aio config` shows: every key's effective value, secrets redacted, and its source.

use std::path::PathBuf;

use super::{
    AcmeChallenge, CorsOrigins, DatabaseSettings, LogFormat, Settings, StorageSettings,
    TlsSettings, keys, layers::Source,
};

impl Settings {
    /// The effective value of every key, secrets redacted, with where it came from:
    /// what `plane-aio config` prints.
    pub fn describe(&self) -> Vec<(&'static keys::Key, String, Source)> {
        keys::KEYS
            .iter()
            .map(|key| {
                let source = self
                    .raw
                    .get(key.name)
                    .map(|v| v.source.clone())
                    .unwrap_or(Source::Default);
                // Every key has an arm (a test checks): None cannot happen for a key of KEYS.
                let value = self.effective_value(key.name).unwrap_or_default();
                (key, value, source)
            })
            .collect()
    }

    /// None for a name that is not a key (every key of [`keys::KEYS`] has an arm; an unset
    /// optional key is `Some("")`).
    fn effective_value(&self, name: &str) -> Option<String> {
        let redacted = |set: bool| {
            if set {
                "**redacted**".to_string()
            } else {
                String::new()
            }
        };
        let opt_path = |p: Option<&PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
        let acme = match &self.tls {
            TlsSettings::Acme(a) => Some(a),
            _ => None,
        };
        let s3 = match &self.storage {
            StorageSettings::S3(s) => Some(s),
            StorageSettings::Fs => None,
        };
        let value = match name {
            "data_dir" => self.data_dir.display().to_string(),
            "database_url" => match &self.database {
                DatabaseSettings::Sqlite { path } => format!("sqlite://{}", path.display()),
                DatabaseSettings::Postgres { url } => redact_url_password(url.expose()),
            },
            "listen" => self.listen.to_string(),
            "http_listen" => self.http_listen.map(|a| a.to_string()).unwrap_or_default(),
            "public_url" => self.public_url.to_string(),
            "log_format" => match self.log_format {
                LogFormat::Pretty => "pretty".into(),
                LogFormat::Json => "json".into(),
            },
            "log_level" => self.log_level.clone(),
            "cors_allowed_origins" => match &self.cors_allowed_origins {
                CorsOrigins::None => String::new(),
                CorsOrigins::Any => "*".into(),
                CorsOrigins::List(l) => l.join(","),
            },
            "file_size_limit" => self.file_size_limit.to_string(),
            "secret_key" => redacted(self.secret_key.is_some()),
            "tls_cert" => opt_path(match &self.tls {
                TlsSettings::Files { cert, .. } => Some(cert),
                _ => None,
            }),
            "tls_key" => opt_path(match &self.tls {
                TlsSettings::Files { key, .. } => Some(key),
                _ => None,
            }),
            "domain" => acme.map(|a| a.domains.join(",")).unwrap_or_default(),
            "acme_email" => acme.and_then(|a| a.email.clone()).unwrap_or_default(),
            "acme_directory" => acme.map(|a| a.directory.to_string()).unwrap_or_default(),
            "acme_ca_root" => opt_path(acme.and_then(|a| a.ca_root.as_ref())),
            "acme_challenge" => match acme.map(|a| a.challenge) {
                Some(AcmeChallenge::TlsAlpn01) => "tls-alpn-01".into(),
                Some(AcmeChallenge::Http01) => "http-01".into(),
                None => String::new(),
            },
            "storage_backend" => if s3.is_some() { "s3" } else { "fs" }.into(),
            "s3_endpoint" => s3.map(|s| s.endpoint.to_string()).unwrap_or_default(),
            "s3_bucket" => s3.map(|s| s.bucket.clone()).unwrap_or_default(),
            "s3_region" => s3.map(|s| s.region.clone()).unwrap_or_default(),
            "s3_access_key_id" => s3.map(|s| s.access_key_id.clone()).unwrap_or_default(),
            "s3_secret_access_key" => redacted(s3.is_some()),
            "s3_path_style" => s3.map(|s| s.path_style.to_string()).unwrap_or_default(),
            "api_key_rate_limit" => self.api_key_rate_limit.to_string(),
            "anonymous_rate_limit" => self.anonymous_rate_limit.to_string(),
            "trusted_proxies" => self
                .trusted_proxies
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(","),
            "smtp_ca_root" => opt_path(self.smtp_ca_root.as_ref()),
            "job_workers" => self.jobs.workers.to_string(),
            "job_max_attempts" => self.jobs.max_attempts.to_string(),
            "job_retry_backoff" => humantime::format_duration(self.jobs.retry_backoff).to_string(),
            "job_orphan_timeout" => {
                humantime::format_duration(self.jobs.orphan_timeout).to_string()
            }
            "cron_purge_expired" => self.cron.purge_expired.clone().unwrap_or_default(),
            "cron_dispatch_outbox" => self.cron.dispatch_outbox.clone().unwrap_or_default(),
            "shutdown_timeout" => humantime::format_duration(self.shutdown_timeout).to_string(),
            "node_name" => self.node_name.clone(),
            _ => return None,
        };
        Some(value)
    }
}

/// The URL with its password hidden, wherever it is given: in the authority or as a query
/// parameter (`?password=…`, `?sslpassword=…`, which the Postgres driver also reads). Anything
/// that is not a URL is hidden whole.
pub fn redact_url_password(url: &str) -> String {
    const HIDDEN: &str = "**redacted**";
    let Ok(mut parsed) = url::Url::parse(url) else {
        return HIDDEN.to_string();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(HIDDEN));
    }
    let has_secret_param = parsed
        .query_pairs()
        .any(|(name, _)| name.to_ascii_lowercase().contains("password"));
    if has_secret_param {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if name.to_ascii_lowercase().contains("password") {
                    HIDDEN.to_string()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_its_value_described() {
        let defaults = Settings::from_flags(&[]).unwrap();
        for key in keys::KEYS {
            assert!(
                defaults.effective_value(key.name).is_some(),
                "`{}` has no arm in effective_value",
                key.name
            );
        }
        assert_eq!(defaults.effective_value("no_such_key"), None);
    }

    #[test]
    fn every_key_set_shows_its_value() {
        let set = |flags: &[(&'static str, &str)]| {
            let flags: Vec<(&'static str, String)> =
                flags.iter().map(|(k, v)| (*k, v.to_string())).collect();
            Settings::from_flags(&flags).unwrap()
        };
        // TLS from files and TLS from ACME exclude each other: two configurations.
        let files = set(&[
            ("http_listen", "127.0.0.1:8081"),
            ("cors_allowed_origins", "https://a.example"),
            ("secret_key", "0123456789abcdef0123456789abcdef"),
            ("tls_cert", "cert.pem"),
            ("tls_key", "key.pem"),
            ("storage_backend", "s3"),
            ("s3_endpoint", "http://127.0.0.1:9000"),
            ("s3_bucket", "plane"),
            ("s3_access_key_id", "id"),
            ("s3_secret_access_key", "secret"),
            ("trusted_proxies", "10.0.0.0/8"),
            ("smtp_ca_root", "ca.pem"),
        ]);
        let acme = set(&[
            ("domain", "plane.example.com"),
            ("acme_email", "ops@example.com"),
            ("acme_ca_root", "ca.pem"),
        ]);
        for key in keys::KEYS {
            let shown = [&files, &acme]
                .iter()
                .filter_map(|s| s.effective_value(key.name))
                .any(|v| !v.is_empty());
            assert!(shown, "`{}` describes to nothing when set", key.name);
        }
    }
}
