//! The user APIs of the plain OAuth 2 providers (GitHub, GitLab, Gitea): who the access token
//! belongs to, and whether the provider vouches for the email address.

use serde::Deserialize;

use super::{HttpClient, Identity, OAuthError, Provider};

#[derive(Deserialize)]
struct GithubUser {
    id: i64,
    login: String,
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

#[derive(Deserialize)]
struct GitlabUser {
    id: i64,
    username: String,
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    confirmed_at: Option<String>,
}

#[derive(Deserialize)]
struct GiteaUser {
    id: i64,
    login: String,
    full_name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
}

fn split_name(full: &str) -> (String, String) {
    let full = full.trim();
    match full.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.trim().to_string()),
        None => (full.to_string(), String::new()),
    }
}

/// The GitHub API base: api.github.com for github.com, `<host>/api/v3` for GitHub Enterprise.
pub(super) fn github_api(base: &str) -> String {
    if base == "https://github.com" {
        "https://api.github.com".to_string()
    } else {
        format!("{base}/api/v3")
    }
}

pub(super) async fn profile(
    http: &HttpClient,
    provider: Provider,
    base: &str,
    token: &str,
) -> Result<Identity, OAuthError> {
    match provider {
        Provider::Github => {
            let api = github_api(base);
            let user: GithubUser = http.get_json(&format!("{api}/user"), token).await?;
            let emails: Vec<GithubEmail> = http
                .get_json(&format!("{api}/user/emails"), token)
                .await
                .unwrap_or_default();
            let primary = emails.iter().find(|e| e.primary && e.verified);
            let (first, last) = split_name(user.name.as_deref().unwrap_or(""));
            Ok(Identity {
                provider_account_id: user.id.to_string(),
                email: primary.map(|e| e.email.clone()).or(user.email),
                email_verified: primary.is_some(),
                first_name: first,
                last_name: last,
                display_name: user.login,
                avatar_url: user.avatar_url,
            })
        }
        Provider::Gitlab => {
            let user: GitlabUser = http.get_json(&format!("{base}/api/v4/user"), token).await?;
            let (first, last) = split_name(user.name.as_deref().unwrap_or(""));
            Ok(Identity {
                provider_account_id: user.id.to_string(),
                email: user.email,
                email_verified: user.confirmed_at.is_some(),
                first_name: first,
                last_name: last,
                display_name: user.username,
                avatar_url: user.avatar_url,
            })
        }
        Provider::Gitea => {
            let user: GiteaUser = http.get_json(&format!("{base}/api/v1/user"), token).await?;
            let (first, last) = split_name(user.full_name.as_deref().unwrap_or(""));
            Ok(Identity {
                provider_account_id: user.id.to_string(),
                // Gitea only signs in activated accounts, whose address it has confirmed.
                email_verified: user.email.is_some(),
                email: user.email,
                first_name: first,
                last_name: last,
                display_name: user.login,
                avatar_url: user.avatar_url,
            })
        }
        Provider::Google | Provider::Oidc => {
            Err(OAuthError::Config("OpenID providers use ID tokens".into()))
        }
    }
}
