//! Instance settings (Plane's "god-mode"): sign-up policy, email (SMTP), sign-in providers and
//! the public URL, kept as key/value rows in `instance_configurations` like Plane's, so every node
//! sharing the database reads the same values. Secret values are encrypted at rest
//! ([`super::crypto`]) and never returned by the API.

use std::collections::{BTreeMap, HashMap};

use crate::{
    config::{Secret, Settings},
    db::{self, Db},
};

use super::crypto::SecretBox;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Text,
    Url,
    /// An OpenID issuer: an http(s) URL kept exactly as written, since providers compare it
    /// as text with the `issuer` of their discovery document (Auth0's ends in `/`, Google's
    /// does not).
    Issuer,
    Port,
    Domains,
    Email,
    Host,
    EmailSecurity,
}

/// One setting: its key (Plane's name where Plane has one), category and form.
#[derive(Debug)]
pub struct SettingKey {
    pub key: &'static str,
    pub category: &'static str,
    pub secret: bool,
    kind: Kind,
    default: &'static str,
}

const fn setting(
    key: &'static str,
    category: &'static str,
    kind: Kind,
    default: &'static str,
) -> SettingKey {
    SettingKey {
        key,
        category,
        secret: false,
        kind,
        default,
    }
}

const fn secret(key: &'static str, category: &'static str) -> SettingKey {
    SettingKey {
        key,
        category,
        secret: true,
        kind: Kind::Text,
        default: "",
    }
}

pub const SETTINGS: &[SettingKey] = &[
    setting("INSTANCE_NAME", "GENERAL", Kind::Text, "Plane"),
    setting("PUBLIC_URL", "GENERAL", Kind::Url, ""),
    // Plane's switch: when on, only instance admins create workspaces.
    setting("DISABLE_WORKSPACE_CREATION", "GENERAL", Kind::Bool, "0"),
    setting("ENABLE_SIGNUP", "AUTHENTICATION", Kind::Bool, "0"),
    setting("ALLOWED_EMAIL_DOMAINS", "AUTHENTICATION", Kind::Domains, ""),
    setting("ENABLE_MAGIC_LINK_LOGIN", "AUTHENTICATION", Kind::Bool, "1"),
    setting("ENABLE_EMAIL_PASSWORD", "AUTHENTICATION", Kind::Bool, "1"),
    setting("EMAIL_HOST", "SMTP", Kind::Host, ""),
    setting("EMAIL_PORT", "SMTP", Kind::Port, "587"),
    setting("EMAIL_HOST_USER", "SMTP", Kind::Text, ""),
    secret("EMAIL_HOST_PASSWORD", "SMTP"),
    setting("EMAIL_SECURITY", "SMTP", Kind::EmailSecurity, "starttls"),
    setting("EMAIL_FROM", "SMTP", Kind::Email, ""),
    setting("IS_GITHUB_ENABLED", "GITHUB", Kind::Bool, "0"),
    setting("GITHUB_CLIENT_ID", "GITHUB", Kind::Text, ""),
    secret("GITHUB_CLIENT_SECRET", "GITHUB"),
    setting("GITHUB_HOST", "GITHUB", Kind::Url, "https://github.com"),
    setting("IS_GOOGLE_ENABLED", "GOOGLE", Kind::Bool, "0"),
    setting("GOOGLE_CLIENT_ID", "GOOGLE", Kind::Text, ""),
    secret("GOOGLE_CLIENT_SECRET", "GOOGLE"),
    // Google's issuer; another only for a Google-compatible stand-in (a test provider, say).
    setting(
        "GOOGLE_HOST",
        "GOOGLE",
        Kind::Url,
        "https://accounts.google.com",
    ),
    setting("IS_GITLAB_ENABLED", "GITLAB", Kind::Bool, "0"),
    setting("GITLAB_CLIENT_ID", "GITLAB", Kind::Text, ""),
    secret("GITLAB_CLIENT_SECRET", "GITLAB"),
    setting("GITLAB_HOST", "GITLAB", Kind::Url, "https://gitlab.com"),
    setting("IS_GITEA_ENABLED", "GITEA", Kind::Bool, "0"),
    setting("GITEA_CLIENT_ID", "GITEA", Kind::Text, ""),
    secret("GITEA_CLIENT_SECRET", "GITEA"),
    setting("GITEA_HOST", "GITEA", Kind::Url, ""),
    setting("IS_OIDC_ENABLED", "OIDC", Kind::Bool, "0"),
    setting("OIDC_CLIENT_ID", "OIDC", Kind::Text, ""),
    secret("OIDC_CLIENT_SECRET", "OIDC"),
    setting("OIDC_ISSUER_URL", "OIDC", Kind::Issuer, ""),
    setting("OIDC_DISPLAY_NAME", "OIDC", Kind::Text, "Single sign-on"),
];

fn find(key: &str) -> Option<&'static SettingKey> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the same host or network).
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// No authentication when empty (Plane requires it; many relays do not).
    pub username: String,
    pub password: Secret,
    pub security: EmailSecurity,
    pub from: String,
}

/// Credentials of one OAuth/OIDC provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub client_id: String,
    pub client_secret: Secret,
    /// GitHub/GitLab/Gitea host, or the OIDC issuer.
    pub base_url: String,
    pub display_name: String,
}

/// A problem with one submitted setting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("instance settings: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("instance settings: {0}")]
    Crypto(#[from] super::crypto::CryptoError),
}

fn invalid(key: &str, message: &str) -> SettingsError {
    SettingsError::Invalid {
        key: key.to_string(),
        message: message.to_string(),
    }
}

/// The settings as read from the database (secrets decrypted, in memory only).
#[derive(Debug, Clone, Default)]
pub struct InstanceSettings {
    values: HashMap<&'static str, String>,
    /// Secrets stored sealed under another instance secret (`secret_key` set or changed since
    /// they were saved): unusable, so they count as unset until entered again.
    unreadable: Vec<&'static str>,
}

/// The instance secret: configured (`secret_key`), else generated once and kept in the database.
pub async fn instance_secret(db: &Db, settings: &Settings) -> Result<Secret, sea_orm::DbErr> {
    match &settings.secret_key {
        Some(secret) => Ok(secret.clone()),
        None => Ok(Secret::new(
            db::instance_config::get_or_insert(db, "SECRET_KEY", "SECURITY", || {
                hex::encode(rand::random::<[u8; 32]>())
            })
            .await?,
        )),
    }
}

impl InstanceSettings {
    pub async fn load(db: &Db, secrets: &SecretBox) -> Result<InstanceSettings, SettingsError> {
        let rows = db::instance_config::all(db).await?;
        let mut values = HashMap::new();
        let mut unreadable = Vec::new();
        for row in rows {
            let Some(spec) = find(&row.key) else { continue };
            let Some(value) = row.value else { continue };
            let value = if row.is_encrypted && !value.is_empty() {
                match secrets.open(&value) {
                    Ok(value) => value,
                    // Not an answer of 500 to every sign-in: the admin can enter it again.
                    Err(_) => {
                        unreadable.push(spec.key);
                        continue;
                    }
                }
            } else {
                value
            };
            values.insert(spec.key, value);
        }
        Ok(InstanceSettings { values, unreadable })
    }

    /// The stored secrets this instance secret cannot open (see the field).
    pub fn unreadable_secrets(&self) -> &[&'static str] {
        &self.unreadable
    }

    pub fn get(&self, key: &str) -> &str {
        match self.values.get(key) {
            Some(v) => v,
            None => find(key).map(|s| s.default).unwrap_or(""),
        }
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), "1" | "true")
    }

    pub fn instance_name(&self) -> &str {
        self.get("INSTANCE_NAME")
    }

    pub fn signup_enabled(&self) -> bool {
        self.flag("ENABLE_SIGNUP")
    }

    pub fn workspace_creation_disabled(&self) -> bool {
        self.flag("DISABLE_WORKSPACE_CREATION")
    }

    pub fn magic_login_enabled(&self) -> bool {
        self.flag("ENABLE_MAGIC_LINK_LOGIN")
    }

    pub fn password_login_enabled(&self) -> bool {
        self.flag("ENABLE_EMAIL_PASSWORD")
    }

    /// Domains allowed to sign up (empty: any).
    pub fn allowed_domains(&self) -> Vec<String> {
        crate::config::values::list(self.get("ALLOWED_EMAIL_DOMAINS"))
            .into_iter()
            .map(|d| d.to_ascii_lowercase())
            .collect()
    }

    pub fn email_domain_allowed(&self, domain: &str) -> bool {
        let allowed = self.allowed_domains();
        allowed.is_empty() || allowed.iter().any(|d| d == domain)
    }

    pub fn public_url(&self) -> Option<&str> {
        Some(self.get("PUBLIC_URL")).filter(|u| !u.is_empty())
    }

    pub fn smtp(&self) -> Option<SmtpSettings> {
        let host = self.get("EMAIL_HOST");
        if host.is_empty() {
            return None;
        }
        let security = match self.get("EMAIL_SECURITY") {
            "tls" => EmailSecurity::Tls,
            "none" => EmailSecurity::None,
            _ => EmailSecurity::Starttls,
        };
        Some(SmtpSettings {
            host: host.to_string(),
            port: self.get("EMAIL_PORT").parse().unwrap_or(587),
            username: self.get("EMAIL_HOST_USER").to_string(),
            password: Secret::new(self.get("EMAIL_HOST_PASSWORD")),
            security,
            from: match self.get("EMAIL_FROM") {
                "" => format!("Plane <noreply@{host}>"),
                from => from.to_string(),
            },
        })
    }

    /// A provider's settings when it is enabled and has credentials.
    pub fn provider(&self, name: &str) -> Option<ProviderSettings> {
        let upper = name.to_ascii_uppercase();
        if !self.flag(&format!("IS_{upper}_ENABLED")) {
            return None;
        }
        let client_id = self.get(&format!("{upper}_CLIENT_ID"));
        let client_secret = self.get(&format!("{upper}_CLIENT_SECRET"));
        if client_id.is_empty() || client_secret.is_empty() {
            return None;
        }
        let base_url = match upper.as_str() {
            "OIDC" => self.get("OIDC_ISSUER_URL"),
            other => self.get(&format!("{other}_HOST")),
        };
        if base_url.is_empty() {
            return None;
        }
        Some(ProviderSettings {
            client_id: client_id.to_string(),
            client_secret: Secret::new(client_secret),
            // An OIDC issuer is compared with the one its discovery document names, as text,
            // so it stays as written (Auth0's and Authentik's end in `/`); other providers'
            // hosts get paths appended.
            base_url: if upper == "OIDC" {
                base_url.to_string()
            } else {
                base_url.trim_end_matches('/').to_string()
            },
            display_name: match upper.as_str() {
                "OIDC" => self.get("OIDC_DISPLAY_NAME").to_string(),
                "GITHUB" => "GitHub".into(),
                "GITLAB" => "GitLab".into(),
                "GITEA" => "Gitea".into(),
                _ => "Google".into(),
            },
        })
    }

    /// Every setting as Plane's configuration list: secrets are never returned, only whether
    /// they are set.
    pub fn listing(&self) -> Vec<serde_json::Value> {
        SETTINGS
            .iter()
            .map(|s| {
                let value = self.get(s.key);
                serde_json::json!({
                    "key": s.key,
                    "value": if s.secret { serde_json::Value::Null } else { value.into() },
                    "category": s.category,
                    "is_encrypted": s.secret,
                    "is_set": !value.is_empty(),
                })
            })
            .collect()
    }
}

fn validate(spec: &SettingKey, value: &str) -> Result<String, SettingsError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let key = spec.key;
    Ok(match spec.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "1" | "true" => "1".into(),
            "0" | "false" => "0".into(),
            _ => return Err(invalid(key, "expected 1 or 0")),
        },
        Kind::Text => {
            if value.len() > 1000 {
                return Err(invalid(key, "is too long"));
            }
            value.to_string()
        }
        Kind::Url => crate::config::values::http_url(value)
            .map_err(|e| invalid(key, e))?
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        Kind::Issuer => {
            crate::config::values::http_url(value).map_err(|e| invalid(key, e))?;
            value.to_string()
        }
        Kind::Port => match value.parse::<u16>() {
            Ok(p) if p > 0 => p.to_string(),
            _ => return Err(invalid(key, "expected a port number")),
        },
        Kind::Domains => {
            let domains = crate::config::values::list(value);
            for d in &domains {
                crate::config::values::domain_name(d).map_err(|e| invalid(key, e))?;
            }
            domains.join(",").to_ascii_lowercase()
        }
        Kind::Email => {
            // "Plane <noreply@example.com>" or a bare address.
            value.parse::<lettre::message::Mailbox>().map_err(|_| {
                invalid(
                    key,
                    "expected an address such as Plane <noreply@example.com>",
                )
            })?;
            value.to_string()
        }
        Kind::Host => {
            let ok = value.len() <= 253
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !ok {
                return Err(invalid(key, "expected a host name or address"));
            }
            value.to_string()
        }
        Kind::EmailSecurity => match value.to_ascii_lowercase().as_str() {
            v @ ("starttls" | "tls" | "none") => v.to_string(),
            _ => return Err(invalid(key, "expected starttls, tls or none")),
        },
    })
}

/// The provider (as accounts name it) whose identities a setting's value says where to find:
/// ids are only unique on one server, so links made with another value must go.
fn provider_of_identity_key(key: &str) -> Option<&'static str> {
    match key {
        "GITHUB_HOST" => Some("github"),
        "GOOGLE_HOST" => Some("google"),
        "GITLAB_HOST" => Some("gitlab"),
        "GITEA_HOST" => Some("gitea"),
        "OIDC_ISSUER_URL" => Some("oidc"),
        _ => None,
    }
}

/// Applies a set of changes (`KEY → value`; empty clears) atomically after validating all of
/// them: one bad value changes nothing. Pointing a provider at another server (its host or
/// issuer) also removes the accounts linked on the old one, in the same transaction: the new
/// server's user ids would otherwise sign in as whoever had that id on the old server. Those
/// users sign in again and are linked anew by their verified email address.
pub async fn update(
    db: &Db,
    secrets: &SecretBox,
    changes: &BTreeMap<String, String>,
    by: Option<uuid::Uuid>,
) -> Result<(), SettingsError> {
    let mut rows = Vec::with_capacity(changes.len());
    let mut unlink = Vec::new();
    for (key, value) in changes {
        let spec = find(key).ok_or_else(|| invalid(key, "is not an instance setting"))?;
        let clean = validate(spec, value)?;
        if let Some(provider) = provider_of_identity_key(spec.key) {
            let current = db::instance_config::get(db, spec.key).await?;
            let effective = |v: &str| if v.is_empty() { spec.default } else { v }.to_string();
            if effective(current.as_deref().unwrap_or("")) != effective(&clean) {
                unlink.push(provider);
            }
        }
        let stored = if spec.secret && !clean.is_empty() {
            secrets.seal(&clean)?
        } else {
            clean
        };
        rows.push(db::instance_config::Upsert {
            key: spec.key,
            value: stored,
            category: spec.category,
            is_encrypted: spec.secret,
        });
    }
    db::instance_config::upsert_all(db, &rows, &unlink, by).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_validated_and_normalised() {
        let v = |key: &str, value: &str| validate(find(key).unwrap(), value);
        assert_eq!(v("ENABLE_SIGNUP", "true").unwrap(), "1");
        assert!(v("ENABLE_SIGNUP", "maybe").is_err());
        assert_eq!(v("EMAIL_PORT", "465").unwrap(), "465");
        assert!(v("EMAIL_PORT", "0").is_err());
        assert_eq!(
            v("ALLOWED_EMAIL_DOMAINS", "Example.com, corp.example.org").unwrap(),
            "example.com,corp.example.org"
        );
        assert!(v("ALLOWED_EMAIL_DOMAINS", "not a domain").is_err());
        assert_eq!(
            v("PUBLIC_URL", "https://plane.example.com/").unwrap(),
            "https://plane.example.com"
        );
        assert!(v("EMAIL_FROM", "Plane <noreply@example.com>").is_ok());
        assert!(v("EMAIL_FROM", "nobody").is_err());
        assert!(v("EMAIL_SECURITY", "ssl").is_err());
        assert_eq!(v("EMAIL_HOST", "").unwrap(), "");
    }

    #[test]
    fn providers_need_a_flag_and_credentials() {
        let mut s = InstanceSettings::default();
        assert!(s.provider("github").is_none());
        s.values.insert("IS_GITHUB_ENABLED", "1".into());
        s.values.insert("GITHUB_CLIENT_ID", "id".into());
        assert!(s.provider("github").is_none(), "no secret yet");
        s.values.insert("GITHUB_CLIENT_SECRET", "secret".into());
        let github = s.provider("github").unwrap();
        assert_eq!(github.base_url, "https://github.com");
        assert_eq!(
            s.listing()
                .iter()
                .find(|r| r["key"] == "GITHUB_CLIENT_SECRET")
                .unwrap()["value"],
            serde_json::Value::Null
        );
    }
}
