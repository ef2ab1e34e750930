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

/// An address on GitHub's `/user/emails` and Gitea's `/api/v1/user/emails`.
#[derive(Deserialize)]
struct ListedEmail {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// The address the provider vouches for: the primary one if verified, else another verified
/// one; None when none is (or the list could not be read).
fn verified_email(emails: &[ListedEmail]) -> Option<String> {
    emails
        .iter()
        .find(|e| e.primary && e.verified)
        .or_else(|| emails.iter().find(|e| e.verified))
        .map(|e| e.email.clone())
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
            let emails: Vec<ListedEmail> = http
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
            // Gitea does not confirm addresses unless its admin requires it: only an address
            // its list marks verified is vouched for.
            let emails: Vec<ListedEmail> = http
                .get_json(&format!("{base}/api/v1/user/emails"), token)
                .await
                .unwrap_or_default();
            let verified = verified_email(&emails);
            let (first, last) = split_name(user.full_name.as_deref().unwrap_or(""));
            Ok(Identity {
                provider_account_id: user.id.to_string(),
                email_verified: verified.is_some(),
                email: verified.or(user.email),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(email: &str, primary: bool, verified: bool) -> ListedEmail {
        ListedEmail {
            email: email.into(),
            primary,
            verified,
        }
    }

    #[test]
    fn only_a_verified_address_is_vouched_for() {
        assert_eq!(verified_email(&[]), None);
        assert_eq!(verified_email(&[listed("a@x.example", true, false)]), None);
        assert_eq!(
            verified_email(&[
                listed("b@x.example", false, true),
                listed("a@x.example", true, true)
            ]),
            Some("a@x.example".into())
        );
        assert_eq!(
            verified_email(&[
                listed("a@x.example", true, false),
                listed("b@x.example", false, true)
            ]),
            Some("b@x.example".into())
        );
    }
}
