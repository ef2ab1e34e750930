//! Typed settings, built from the layered raw values (see [`layers`]) and the key table
//! (see [`keys`]). Settings are a plain value passed down explicitly, never a global, so tests can
//! build any configuration they need.

mod describe;
pub mod keys;
pub mod layers;
mod reader;
mod sections;
pub mod values;

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

pub use describe::redact_url_password;
use layers::{RawConfig, Source};
use reader::Reader;
pub use values::Secret;

/// A configuration problem: each names the key, where the value came from and the form expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown configuration key `{key}` ({origin}){}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownKey {
        key: String,
        origin: Source,
        suggestion: Option<String>,
    },
    #[error("invalid value {value:?} for `{key}` ({origin}): expected {expected}")]
    Invalid {
        key: String,
        value: String,
        origin: Source,
        expected: String,
    },
    #[error("cannot read configuration file {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    #[error("{0}")]
    Conflict(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseSettings {
    Sqlite { path: PathBuf },
    Postgres { url: Secret },
}

impl DatabaseSettings {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseSettings::Postgres { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    None,
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcmeChallenge {
    TlsAlpn01,
    Http01,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    pub domains: Vec<String>,
    pub email: Option<String>,
    pub directory: url::Url,
    pub ca_root: Option<PathBuf>,
    pub challenge: AcmeChallenge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSettings {
    None,
    Files { cert: PathBuf, key: PathBuf },
    Acme(AcmeSettings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub path_style: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSettings {
    /// Files under `<data_dir>/uploads`.
    Fs,
    S3(S3Settings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    pub workers: u32,
    pub max_attempts: u32,
    pub retry_backoff: Duration,
    /// A job whose worker has sent no heartbeat for this long is handed to another worker.
    pub orphan_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSettings {
    /// `None` disables the job.
    pub purge_expired: Option<String>,
    pub dispatch_outbox: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub listen: SocketAddr,
    pub http_listen: Option<SocketAddr>,
    pub public_url: url::Url,
    pub log_format: LogFormat,
    pub log_level: String,
    pub cors_allowed_origins: CorsOrigins,
    pub file_size_limit: u64,
    pub secret_key: Option<Secret>,
    pub tls: TlsSettings,
    pub storage: StorageSettings,
    pub jobs: JobSettings,
    pub cron: CronSettings,
    pub api_key_rate_limit: crate::domain::rate_limit::Rate,
    pub anonymous_rate_limit: crate::domain::rate_limit::Rate,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub smtp_ca_root: Option<PathBuf>,
    pub shutdown_timeout: Duration,
    pub node_name: String,
    /// The raw layers, kept for `plane-aio config`.
    pub raw: RawConfig,
}

pub(super) const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

impl Settings {
    /// Builds settings from the process environment, an optional explicit config file and flags.
    pub fn load(
        config_file: Option<&Path>,
        flags: &[(&'static str, String)],
    ) -> Result<Settings, ConfigError> {
        let raw = RawConfig::load(config_file, RawConfig::process_env()?, flags)?;
        Settings::from_raw(raw)
    }

    /// Builds settings from flags alone (no file, no environment): what tests use.
    pub fn from_flags(flags: &[(&'static str, String)]) -> Result<Settings, ConfigError> {
        Settings::from_raw(RawConfig::load(None, Vec::new(), flags)?)
    }

    pub fn from_raw(raw: RawConfig) -> Result<Settings, ConfigError> {
        let r = Reader { raw: &raw };

        let data_dir = PathBuf::from(r.text("data_dir").unwrap_or("./plane-data"));
        let database = match r.text("database_url") {
            None => DatabaseSettings::Sqlite {
                path: data_dir.join("plane.db"),
            },
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                if url::Url::parse(url).is_err() {
                    return Err(r.invalid(
                        "database_url",
                        "postgres://user:password@host:5432/database",
                    ));
                }
                DatabaseSettings::Postgres {
                    url: Secret::new(url),
                }
            }
            Some(url) if url.starts_with("sqlite:") => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                // An empty path would be SQLite's private temporary database (everything lost
                // at exit), and options are set here, not in the URL.
                if path.is_empty() || path.contains('?') {
                    return Err(r.invalid("database_url", "sqlite://PATH to the database file"));
                }
                DatabaseSettings::Sqlite {
                    path: PathBuf::from(path),
                }
            }
            Some(_) => {
                return Err(r.invalid(
                    "database_url",
                    "postgres://user:password@host:5432/database (leave unset for SQLite in the data folder)",
                ));
            }
        };

        let tls = Self::tls(&r)?;
        let default_listen = match tls {
            TlsSettings::Acme(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 443),
            _ => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080),
        };
        let listen = r
            .parse("listen", values::socket_addr)?
            .unwrap_or(default_listen);
        let http_listen = match r.parse("http_listen", values::socket_addr)? {
            Some(addr) => Some(addr),
            None if matches!(tls, TlsSettings::Acme(_)) => {
                Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80))
            }
            None => None,
        };
        if http_listen.is_some() && matches!(tls, TlsSettings::None) {
            return Err(ConfigError::Conflict(
                "`http_listen` redirects to HTTPS, so it needs `tls_cert`/`tls_key` or `domain`"
                    .into(),
            ));
        }
        if listen.port() != 0 && http_listen == Some(listen) {
            return Err(r.invalid("http_listen", "an address different from `listen`"));
        }

        let public_url = match r.parse("public_url", values::http_url)? {
            Some(url) => url,
            None => default_public_url(&tls, listen)?,
        };

        let log_format = r.choice(
            "log_format",
            LogFormat::Pretty,
            &[("pretty", LogFormat::Pretty), ("json", LogFormat::Json)],
            "pretty or json",
        )?;
        let log_level = r.parse_or("log_level", "info", values::log_filter)?;

        let cors_allowed_origins = match r.text("cors_allowed_origins") {
            None => CorsOrigins::None,
            Some("*") => CorsOrigins::Any,
            Some(text) => {
                let origins = values::list(text);
                for origin in &origins {
                    let ok = url::Url::parse(origin)
                        .map(|u| {
                            matches!(u.scheme(), "http" | "https")
                                && u.path() == "/"
                                && !origin.ends_with('/')
                        })
                        .unwrap_or(false);
                    if !ok {
                        return Err(r.invalid(
                            "cors_allowed_origins",
                            "origins such as https://app.example.com (scheme, host and optional port, no path), separated by commas, or *",
                        ));
                    }
                }
                CorsOrigins::List(origins)
            }
        };

        let file_size_limit = r.parse_or("file_size_limit", "5MiB", values::byte_size)?;
        let secret_key = match r.text("secret_key") {
            Some(s) if s.len() < 32 => {
                return Err(r.invalid("secret_key", "at least 32 characters"));
            }
            other => other.map(Secret::new),
        };

        let storage = Self::storage(&r)?;
        let jobs = JobSettings {
            workers: r.parse_or("job_workers", "4", values::positive_int)?,
            max_attempts: r.parse_or("job_max_attempts", "5", values::positive_int)?,
            retry_backoff: r.parse_or("job_retry_backoff", "10s", values::duration)?,
            orphan_timeout: r.parse_or("job_orphan_timeout", "60s", values::orphan_timeout)?,
        };
        let cron = CronSettings {
            purge_expired: r.schedule("cron_purge_expired", "0 */10 * * * *")?,
            dispatch_outbox: r.schedule("cron_dispatch_outbox", "0 * * * * *")?,
        };
        let shutdown_timeout = r.parse_or("shutdown_timeout", "30s", values::duration)?;
        // A stopping node no longer beats for the jobs it finishes: one taking longer than the
        // orphan timeout would be taken over by another node while it still runs.
        if shutdown_timeout >= jobs.orphan_timeout {
            let key = if raw.get("shutdown_timeout").is_some() {
                "shutdown_timeout"
            } else {
                "job_orphan_timeout"
            };
            return Err(r.invalid(
                key,
                "shutdown_timeout shorter than job_orphan_timeout (defaults 30s and 60s)",
            ));
        }
        let api_key_rate_limit = r.parse_or("api_key_rate_limit", "60/minute", |v| v.parse())?;
        let anonymous_rate_limit =
            r.parse_or("anonymous_rate_limit", "30/minute", |v| v.parse())?;
        let trusted_proxies = match r.text("trusted_proxies") {
            None => Vec::new(),
            Some(text) => values::list(text)
                .iter()
                .map(|n| {
                    n.parse::<ipnet::IpNet>()
                        .or_else(|_| n.parse::<IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            r.invalid(
                                "trusted_proxies",
                                "networks such as 10.0.0.0/8 or 192.168.1.10, separated by commas",
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let smtp_ca_root = r.text("smtp_ca_root").map(PathBuf::from);
        let node_name = match r.text("node_name") {
            Some(name) => name.to_string(),
            None => host_name(),
        };

        Ok(Settings {
            data_dir,
            database,
            listen,
            http_listen,
            public_url,
            log_format,
            log_level,
            cors_allowed_origins,
            file_size_limit,
            secret_key,
            tls,
            storage,
            jobs,
            cron,
            api_key_rate_limit,
            anonymous_rate_limit,
            trusted_proxies,
            smtp_ca_root,
            shutdown_timeout,
            node_name,
            raw,
        })
    }

    /// When `public_url` was derived (not configured) and the OS chose the port (`:0`),
    /// derives it again from the address actually bound.
    pub fn adopt_bound_address(&mut self, bound: SocketAddr) {
        if !self.public_url_configured()
            && self.listen.port() == 0
            && let Ok(url) = default_public_url(&self.tls, bound)
        {
            self.public_url = url;
        }
        self.listen = bound;
    }

    /// Whether `public_url` was given (flag, environment or file), rather than derived from
    /// the listen address: then it wins over the instance setting.
    pub fn public_url_configured(&self) -> bool {
        self.raw
            .get("public_url")
            .is_some_and(|v| !v.value.trim().is_empty())
    }

    /// The log level of the one-shot commands (`admin`, `jobs`, `doctor`): quiet unless
    /// `log_level` was set.
    pub fn tool_log_level(&self) -> &str {
        if self.raw.get("log_level").is_some() {
            &self.log_level
        } else {
            "warn"
        }
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }
}

fn default_public_url(tls: &TlsSettings, listen: SocketAddr) -> Result<url::Url, ConfigError> {
    let host = match listen.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let text = match tls {
        TlsSettings::Acme(acme) => match listen.port() {
            443 => format!("https://{}", acme.domains[0]),
            port => format!("https://{}:{port}", acme.domains[0]),
        },
        TlsSettings::Files { .. } => format!("https://{host}:{}", listen.port()),
        TlsSettings::None => format!("http://{host}:{}", listen.port()),
    };
    url::Url::parse(&text).map_err(|_| {
        ConfigError::Conflict(format!(
            "cannot derive `public_url` from {text}; set `public_url`"
        ))
    })
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "node".to_string())
}

#[cfg(test)]
mod tests;
