//! The TLS and storage sections of the settings, whose keys depend on each other.

use std::path::PathBuf;

use super::{
    AcmeChallenge, AcmeSettings, ConfigError, LETS_ENCRYPT, S3Settings, Secret, Settings,
    StorageSettings, TlsSettings, reader::Reader, values,
};

impl Settings {
    pub(super) fn tls(r: &Reader<'_>) -> Result<TlsSettings, ConfigError> {
        let cert = r.text("tls_cert").map(PathBuf::from);
        let key = r.text("tls_key").map(PathBuf::from);
        let domains = match r.text("domain") {
            None => Vec::new(),
            Some(text) => values::list(text)
                .iter()
                .map(|d| values::domain_name(d).map_err(|e| r.invalid("domain", e)))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let acme_only = [
            "acme_email",
            "acme_directory",
            "acme_ca_root",
            "acme_challenge",
        ];
        match (cert, key, domains.is_empty()) {
            (Some(_), _, false) | (_, Some(_), false) => Err(ConfigError::Conflict(
                "`domain` (ACME) and `tls_cert`/`tls_key` (certificate files) cannot be used together".into(),
            )),
            (Some(_), None, _) => Err(ConfigError::Conflict("`tls_cert` needs `tls_key`".into())),
            (None, Some(_), _) => Err(ConfigError::Conflict("`tls_key` needs `tls_cert`".into())),
            (Some(cert), Some(key), true) => {
                if let Some(k) = acme_only.iter().find(|k| r.text(k).is_some()) {
                    return Err(ConfigError::Conflict(format!("`{k}` only applies with `domain`")));
                }
                Ok(TlsSettings::Files { cert, key })
            }
            (None, None, true) => {
                if let Some(k) = acme_only.iter().find(|k| r.text(k).is_some()) {
                    return Err(ConfigError::Conflict(format!("`{k}` only applies with `domain`")));
                }
                Ok(TlsSettings::None)
            }
            (None, None, false) => {
                let email = match r.text("acme_email") {
                    Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
                        return Err(r.invalid("acme_email", "an email address"));
                    }
                    other => other.map(str::to_string),
                };
                Ok(TlsSettings::Acme(AcmeSettings {
                    domains,
                    email,
                    directory: r.parse_or("acme_directory", LETS_ENCRYPT, values::http_url)?,
                    ca_root: r.text("acme_ca_root").map(PathBuf::from),
                    challenge: r.choice(
                        "acme_challenge",
                        AcmeChallenge::TlsAlpn01,
                        &[
                            ("tls-alpn-01", AcmeChallenge::TlsAlpn01),
                            ("http-01", AcmeChallenge::Http01),
                        ],
                        "tls-alpn-01 or http-01",
                    )?,
                }))
            }
        }
    }

    pub(super) fn storage(r: &Reader<'_>) -> Result<StorageSettings, ConfigError> {
        #[derive(Clone, Copy)]
        enum Backend {
            Fs,
            S3,
        }
        let s3_keys = [
            "s3_endpoint",
            "s3_bucket",
            "s3_region",
            "s3_access_key_id",
            "s3_secret_access_key",
        ];
        // Checked whichever the backend: `config` must not show a bad value as if it were one.
        let path_style = r.parse_or("s3_path_style", "true", values::boolean)?;
        match r.choice(
            "storage_backend",
            Backend::Fs,
            &[("fs", Backend::Fs), ("s3", Backend::S3)],
            "fs or s3",
        )? {
            Backend::Fs => {
                if let Some(k) = s3_keys.iter().find(|k| r.text(k).is_some()) {
                    return Err(ConfigError::Conflict(format!(
                        "`{k}` is set but `storage_backend` is fs; set storage_backend = \"s3\" to use S3"
                    )));
                }
                Ok(StorageSettings::Fs)
            }
            Backend::S3 => {
                let region = r.text("s3_region").unwrap_or("us-east-1").to_string();
                let endpoint = match r.parse("s3_endpoint", values::http_url)? {
                    Some(url) => url,
                    None => values::http_url(&format!("https://s3.{region}.amazonaws.com"))
                        .map_err(|e| r.invalid("s3_region", e))?,
                };
                let required = |name: &str| {
                    r.text(name).map(str::to_string).ok_or_else(|| {
                        ConfigError::Conflict(format!("storage_backend = \"s3\" needs `{name}`"))
                    })
                };
                let bucket = required("s3_bucket")?;
                let bucket_ok = (3..=63).contains(&bucket.len())
                    && bucket.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    });
                if !bucket_ok {
                    return Err(r.invalid(
                        "s3_bucket",
                        "a bucket name: 3-63 lower-case letters, digits, dots or dashes",
                    ));
                }
                Ok(StorageSettings::S3(S3Settings {
                    endpoint,
                    bucket,
                    region,
                    access_key_id: required("s3_access_key_id")?,
                    secret_access_key: Secret::new(required("s3_secret_access_key")?),
                    path_style,
                }))
            }
        }
    }
}
