//! Collects raw configuration values from their four sources, in precedence order:
//! flags > environment (`PLANE_AIO_…`) > config file > defaults.
//!
//! Values stay strings here; [`super::Settings`] parses them, so every source is checked by the
//! same parser and every error names the key and where the bad value came from.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

use super::{
    ConfigError,
    keys::{self, CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, ENV_PREFIX, KEYS},
};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => write!(f, "default"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag --{flag}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RawValue {
    pub value: String,
    pub source: Source,
}

/// Raw values that were set somewhere (keys left at their default are absent).
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    values: BTreeMap<&'static str, RawValue>,
    /// The configuration file that was read, if any.
    pub file: Option<PathBuf>,
}

impl RawConfig {
    /// Reads the file (explicit path, or `plane-aio.toml` in the working directory when present),
    /// then the environment, then the flags.
    pub fn load<I>(
        explicit_file: Option<&Path>,
        env: I,
        flags: &[(&'static str, String)],
    ) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut raw = RawConfig::default();
        let file = match explicit_file {
            Some(path) => Some(path.to_path_buf()),
            None => {
                let default = PathBuf::from(DEFAULT_CONFIG_FILE);
                default.is_file().then_some(default)
            }
        };
        if let Some(path) = &file {
            raw.read_file(path)?;
            raw.file = Some(path.clone());
        }
        raw.read_env(env)?;
        for (name, value) in flags {
            let key = keys::find(name).ok_or_else(|| ConfigError::UnknownKey {
                key: (*name).to_string(),
                origin: Source::Flag(name.replace('_', "-")),
                suggestion: None,
            })?;
            raw.values.insert(
                key.name,
                RawValue {
                    value: value.clone(),
                    source: Source::Flag(key.flag()),
                },
            );
        }
        Ok(raw)
    }

    /// Values from the process environment, as `load` wants them.
    pub fn process_env() -> Result<Vec<(String, String)>, ConfigError> {
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            if !name.starts_with(ENV_PREFIX) || name == CONFIG_FILE_ENV {
                continue;
            }
            let value = value.into_string().map_err(|_| ConfigError::Invalid {
                key: name.to_string(),
                value: "<not UTF-8>".into(),
                origin: Source::Env(name.to_string()),
                expected: "UTF-8 text".into(),
            })?;
            vars.push((name.to_string(), value));
        }
        Ok(vars)
    }

    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.values.get(name)
    }

    fn read_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::File {
                path: path.to_path_buf(),
                reason: e.message().to_string(),
            })?;
        for (name, value) in table {
            let source = Source::File(path.to_path_buf());
            let Some(key) = keys::find(&name) else {
                return Err(ConfigError::UnknownKey {
                    suggestion: closest_key(&name),
                    key: name,
                    origin: source,
                });
            };
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Array(items) => {
                    let mut parts = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            toml::Value::String(s) => parts.push(s),
                            other => {
                                return Err(ConfigError::Invalid {
                                    key: key.name.to_string(),
                                    value: other.to_string(),
                                    origin: source,
                                    expected: "a list of strings".into(),
                                });
                            }
                        }
                    }
                    parts.join(",")
                }
                other => {
                    return Err(ConfigError::Invalid {
                        key: key.name.to_string(),
                        value: other.to_string(),
                        origin: source,
                        expected: "a string, number, boolean or list of strings".into(),
                    });
                }
            };
            self.values.insert(key.name, RawValue { value, source });
        }
        Ok(())
    }

    fn read_env<I>(&mut self, env: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        for (var, value) in env {
            let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if var == CONFIG_FILE_ENV || is_service_link(&var) {
                continue;
            }
            let name = rest.to_ascii_lowercase();
            let known = keys::find(&name);
            // An empty variable is unset, not a value: `FOO=${FOO}` in a compose file or unit
            // must not wipe what the config file says, nor switch anything off (`off` does that).
            // (An unknown name is refused all the same.)
            if known.is_some() && value.trim().is_empty() {
                continue;
            }
            let Some(key) = known else {
                return Err(ConfigError::UnknownKey {
                    suggestion: closest_key(&name)
                        .map(|k| format!("{ENV_PREFIX}{}", k.to_ascii_uppercase())),
                    key: var.clone(),
                    origin: Source::Env(var),
                });
            };
            self.values.insert(
                key.name,
                RawValue {
                    value,
                    source: Source::Env(var),
                },
            );
        }
        Ok(())
    }
}

/// Variables Kubernetes gives every pod for a Service named `plane-aio` (its "service links":
/// `PLANE_AIO_PORT=tcp://…`, `PLANE_AIO_SERVICE_HOST`, …). They are not settings, and refusing
/// them would keep the pod from ever starting.
fn is_service_link(var: &str) -> bool {
    let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
        return false;
    };
    rest == "PORT" || rest.starts_with("PORT_") || rest.starts_with("SERVICE_")
}

fn closest_key(name: &str) -> Option<String> {
    KEYS.iter()
        .map(|k| (strsim::levenshtein(name, k.name), k.name))
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plane-aio.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1\"\nlog_level = \"warn\"\njob_workers = 2\n",
        )
        .unwrap();
        let raw = RawConfig::load(
            Some(&file),
            env(&[
                ("PLANE_AIO_LISTEN", "127.0.0.1:2"),
                ("PLANE_AIO_LOG_LEVEL", "debug"),
            ]),
            &[("listen", "127.0.0.1:3".into())],
        )
        .unwrap();
        assert_eq!(raw.get("listen").unwrap().value, "127.0.0.1:3");
        assert_eq!(raw.get("log_level").unwrap().value, "debug");
        assert_eq!(raw.get("job_workers").unwrap().value, "2");
        assert!(matches!(
            raw.get("job_workers").unwrap().source,
            Source::File(_)
        ));
        assert!(raw.get("data_dir").is_none());
    }

    #[test]
    fn an_empty_variable_leaves_the_file_value_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plane-aio.toml");
        std::fs::write(&file, "public_url = \"https://plane.example.com\"\n").unwrap();
        let raw = RawConfig::load(
            Some(&file),
            env(&[("PLANE_AIO_PUBLIC_URL", ""), ("PLANE_AIO_LOG_LEVEL", "  ")]),
            &[],
        )
        .unwrap();
        assert_eq!(
            raw.get("public_url").unwrap().value,
            "https://plane.example.com"
        );
        assert!(raw.get("log_level").is_none());
        // Not even where empty means "off": an unset `${X}` must not switch the purge off.
        let raw = RawConfig::load(None, env(&[("PLANE_AIO_CRON_PURGE_EXPIRED", "")]), &[]).unwrap();
        assert!(raw.get("cron_purge_expired").is_none());
        let err = RawConfig::load(None, env(&[("PLANE_AIO_LISEN", "")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("PLANE_AIO_LISEN"), "{err}");
    }

    #[test]
    fn unknown_file_key_is_named_with_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let err = RawConfig::load(Some(&file), env(&[]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`lisen`"), "{err}");
        assert!(err.contains("did you mean `listen`"), "{err}");
    }

    #[test]
    fn unknown_env_var_with_our_prefix_is_refused() {
        let err = RawConfig::load(None, env(&[("PLANE_AIO_LISEN", "x")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("PLANE_AIO_LISEN"), "{err}");
        assert!(err.contains("PLANE_AIO_LISTEN"), "{err}");
    }

    #[test]
    fn kubernetes_service_links_are_not_settings() {
        let links = env(&[
            ("PLANE_AIO_PORT", "tcp://10.0.0.7:8080"),
            ("PLANE_AIO_PORT_8080_TCP_ADDR", "10.0.0.7"),
            ("PLANE_AIO_SERVICE_HOST", "10.0.0.7"),
        ]);
        assert!(RawConfig::load(None, links, &[]).is_ok());
    }

    #[test]
    fn malformed_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listen = \n").unwrap();
        let err = RawConfig::load(Some(&file), env(&[]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = RawConfig::load(Some(Path::new("/nonexistent/plane.toml")), env(&[]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/plane.toml"), "{err}");
    }
}
