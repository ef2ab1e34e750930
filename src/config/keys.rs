//! The one table of configuration keys.
//!
//! Every key is declared here once: its file key, the `PLANE_AIO_…` environment variable and the
//! command-line flag are derived from the name, and the README's configuration table is generated
//! from this list (a test keeps the two equal).

/// Which commands accept a key as a command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagScope {
    /// `serve` and `config` only.
    Serve,
    /// Every command that opens the data folder or the database (`serve`, `migrate`, `jobs`, …).
    AllCommands,
}

/// One configuration key.
#[derive(Debug)]
pub struct Key {
    /// File key (`plane-aio.toml`); the flag is `--` + the name with dashes.
    pub name: &'static str,
    /// Placeholder shown in `--help`.
    pub value_name: &'static str,
    /// Default as shown to people ("" when the key is unset by default).
    pub default: &'static str,
    /// One sentence for `--help`, the README and `plane-aio config`.
    pub help: &'static str,
    /// Secrets are redacted by `plane-aio config`.
    pub secret: bool,
    pub scope: FlagScope,
}

impl Key {
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.name.to_ascii_uppercase())
    }

    pub fn flag(&self) -> String {
        self.name.replace('_', "-")
    }
}

pub const ENV_PREFIX: &str = "PLANE_AIO_";

/// Environment variable naming the configuration file (the `--config` flag's twin).
pub const CONFIG_FILE_ENV: &str = "PLANE_AIO_CONFIG";

/// The configuration file read when `--config` is not given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "plane-aio.toml";

const fn key(
    name: &'static str,
    value_name: &'static str,
    default: &'static str,
    help: &'static str,
) -> Key {
    Key {
        name,
        value_name,
        default,
        help,
        secret: false,
        scope: FlagScope::Serve,
    }
}

const fn secret(mut k: Key) -> Key {
    k.secret = true;
    k
}

const fn everywhere(mut k: Key) -> Key {
    k.scope = FlagScope::AllCommands;
    k
}

pub const KEYS: &[Key] = &[
    everywhere(key(
        "data_dir",
        "DIR",
        "./plane-data",
        "Folder holding the SQLite database, key-value store, job queue, uploads and ACME cache; created on first start.",
    )),
    everywhere(secret(key(
        "database_url",
        "URL",
        "SQLite in the data folder",
        "`postgres://user:password@host:5432/db` switches the app database, shared key-value data and the job queue to Postgres; `sqlite://PATH` keeps SQLite with the database file at PATH.",
    ))),
    key(
        "listen",
        "ADDR:PORT",
        "127.0.0.1:8080",
        "Address the server listens on (HTTPS when TLS is configured; 0.0.0.0:443 by default with `domain`).",
    ),
    key(
        "http_listen",
        "ADDR:PORT",
        "",
        "Extra plain-HTTP listener that redirects to HTTPS and answers ACME HTTP-01 challenges (0.0.0.0:80 by default with `domain`).",
    ),
    key(
        "public_url",
        "URL",
        "derived from `domain` or `listen`",
        "Address users reach the instance at; used in links and presigned URLs.",
    ),
    everywhere(key(
        "log_format",
        "pretty|json",
        "pretty",
        "Log line format: readable text or one JSON object per line.",
    )),
    everywhere(key(
        "log_level",
        "FILTER",
        "info",
        "Log filter in `tracing` syntax, e.g. `info` or `info,plane_aio=debug`.",
    )),
    key(
        "cors_allowed_origins",
        "ORIGINS",
        "",
        "Comma-separated origins allowed to call the API from a browser (`*` for any); none when empty.",
    ),
    key(
        "file_size_limit",
        "BYTES",
        "5MiB",
        "Largest request body accepted (Plane's FILE_SIZE_LIMIT); larger ones get 413. Accepts 5242880, 5MiB, 10MB.",
    ),
    // Every command that reads stored secrets (`doctor smtp`, `admin`) must open them as
    // `serve` does.
    everywhere(secret(key(
        "secret_key",
        "SECRET",
        "generated, kept in the database",
        "Key that signs presigned storage URLs and encrypts stored secrets (SMTP and sign-in provider passwords); set it only to pin a value (at least 32 characters).",
    ))),
    key(
        "tls_cert",
        "PEM",
        "",
        "Certificate chain (PEM) to serve HTTPS from a file; needs `tls_key`.",
    ),
    key("tls_key", "PEM", "", "Private key (PEM) for `tls_cert`."),
    key(
        "domain",
        "NAMES",
        "",
        "Comma-separated domain names to obtain and renew a certificate for with ACME (Let's Encrypt by default).",
    ),
    key(
        "acme_email",
        "EMAIL",
        "",
        "Contact address given to the ACME certificate authority.",
    ),
    key(
        "acme_directory",
        "URL",
        "https://acme-v02.api.letsencrypt.org/directory",
        "ACME directory URL (staging, a private CA or a test server).",
    ),
    key(
        "acme_ca_root",
        "PEM",
        "",
        "Extra root certificate (PEM) trusted when talking to the ACME directory, for private or test CAs.",
    ),
    key(
        "acme_challenge",
        "tls-alpn-01|http-01",
        "tls-alpn-01",
        "Challenge type used to prove control of the domain; both responders are always served.",
    ),
    key(
        "storage_backend",
        "fs|s3",
        "fs",
        "Where uploaded files live: a folder under the data folder, or an S3-compatible bucket.",
    ),
    key(
        "s3_endpoint",
        "URL",
        "",
        "S3 endpoint, e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000.",
    ),
    key("s3_bucket", "NAME", "", "S3 bucket (must exist)."),
    key("s3_region", "REGION", "us-east-1", "S3 region."),
    key("s3_access_key_id", "ID", "", "S3 access key id."),
    secret(key(
        "s3_secret_access_key",
        "SECRET",
        "",
        "S3 secret access key.",
    )),
    key(
        "s3_path_style",
        "true|false",
        "true",
        "Path-style bucket addressing (needed by MinIO and most self-hosted S3); false for virtual-host style.",
    ),
    key(
        "api_key_rate_limit",
        "RATE",
        "60/minute",
        "Requests each API token may make (service tokens: 300/minute), as Plane's API_KEY_RATE_LIMIT; e.g. 600/minute.",
    ),
    key(
        "anonymous_rate_limit",
        "RATE",
        "30/minute",
        "Requests per client address without credentials to /api/ and /auth/ (Plane's anon throttle).",
    ),
    key(
        "trusted_proxies",
        "CIDRS",
        "",
        "Comma-separated proxy networks (e.g. 10.0.0.0/8) whose X-Forwarded-For is believed for the client address.",
    ),
    // `doctor smtp` connects as the server does.
    everywhere(key(
        "smtp_ca_root",
        "PEM",
        "",
        "Extra root certificate (PEM) trusted for the SMTP server's TLS, for relays with a private CA.",
    )),
    key(
        "job_workers",
        "N",
        "4",
        "Background jobs run at the same time by this node.",
    ),
    key(
        "job_max_attempts",
        "N",
        "5",
        "Attempts before a failing job is given up and marked dead.",
    ),
    key(
        "job_retry_backoff",
        "DURATION",
        "10s",
        "Wait before a failed job's first retry; doubles on each further attempt (at most 1h).",
    ),
    key(
        "job_orphan_timeout",
        "DURATION",
        "60s",
        "How long a job held by a node that stopped answering (killed, crashed, cut off) waits before a live worker takes it over and runs it again. At least 3s, and longer than shutdown_timeout.",
    ),
    key(
        "cron_purge_expired",
        "CRON",
        "0 */10 * * * *",
        "Schedule (sec min hour day month weekday, UTC) of the purge of expired sessions and key-value entries, old cron records, finished jobs, gone job workers, abandoned upload files and avatar uploads no profile uses; `off` (or an empty flag or file value) disables it.",
    ),
    key(
        "cron_dispatch_outbox",
        "CRON",
        "0 * * * * *",
        "Schedule (as cron_purge_expired) of the queueing of jobs left in the job outbox (an invitation's mail whose process was killed before queueing it, or whose queue refused it); `off` disables it.",
    ),
    key(
        "shutdown_timeout",
        "DURATION",
        "30s",
        "How long SIGTERM/SIGINT waits for in-flight requests and jobs before exiting. Shorter than job_orphan_timeout.",
    ),
    key(
        "node_name",
        "NAME",
        "the host name",
        "Name of this node in logs, job and cron records (several nodes share one Postgres).",
    ),
];

pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The README's configuration table, generated from [`KEYS`].
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| file key | flag | environment | default | meaning |\n|---|---|---|---|---|\n",
    );
    for k in KEYS {
        let default = if k.default.is_empty() {
            "—".to_string()
        } else if k.default.contains(' ') && !k.default.contains('*') {
            k.default.to_string()
        } else {
            format!("`{}`", k.default)
        };
        out.push_str(&format!(
            "| `{}` | `--{}` | `{}` | {} | {} |\n",
            k.name,
            k.flag(),
            k.env_var(),
            default,
            k.help.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_unique_and_snake_case() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(
                k.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{}",
                k.name
            );
            assert!(
                KEYS[i + 1..].iter().all(|o| o.name != k.name),
                "duplicate {}",
                k.name
            );
        }
    }

    #[test]
    fn env_and_flag_names_derive_from_the_key() {
        let k = find("s3_path_style").unwrap();
        assert_eq!(k.env_var(), "PLANE_AIO_S3_PATH_STYLE");
        assert_eq!(k.flag(), "s3-path-style");
    }
}
