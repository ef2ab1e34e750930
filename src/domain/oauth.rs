//! Sign-in with GitHub, GitLab and Gitea (OAuth 2 with PKCE, then the provider's user API) and
//! with Google or any OpenID Connect provider (discovery, PKCE, nonce, and a verified ID token),
//! using the `oauth2` and `openidconnect` crates over our one HTTP client.
//!
//! The flow's secrets (state, PKCE verifier, nonce, where to go afterwards) wait in the
//! key-value store for ten minutes, keyed by the `state` value, and are used once. The browser
//! that started the sign-in also holds the state in a cookie (see `api::oauth`), and the callback
//! is refused unless that cookie matches: a callback URL opened in another browser (login CSRF)
//! signs nobody in there, and leaves the flow for the browser that started it. The redirect
//! URI is always `<public URL>/auth/<provider>/callback/`: the instance-settings page shows it.

use std::time::Duration;

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
    basic::BasicClient,
};
use openidconnect::{
    IssuerUrl, Nonce,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
};
use serde::{Deserialize, Serialize};

mod http;
mod profile;

pub use http::HttpClient;
use profile::profile;

use super::instance::ProviderSettings;
use crate::kv::{Kv, KvError, Namespace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Github,
    Google,
    Gitlab,
    Gitea,
    Oidc,
}

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::Github,
        Provider::Google,
        Provider::Gitlab,
        Provider::Gitea,
        Provider::Oidc,
    ];

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::Github => "github",
            Provider::Google => "google",
            Provider::Gitlab => "gitlab",
            Provider::Gitea => "gitea",
            Provider::Oidc => "oidc",
        }
    }

    /// The provider's name for people ("GitHub").
    pub fn label(self) -> &'static str {
        match self {
            Provider::Github => "GitHub",
            Provider::Google => "Google",
            Provider::Gitlab => "GitLab",
            Provider::Gitea => "Gitea",
            Provider::Oidc => "Your sign-in provider",
        }
    }

    fn is_oidc(self) -> bool {
        matches!(self, Provider::Google | Provider::Oidc)
    }
}

/// Who the provider says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider_account_id: String,
    pub email: Option<String>,
    /// Only a verified address may be matched to an existing account.
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the provider is misconfigured: {0}")]
    Config(String),
    #[error("the sign-in request expired or was already used")]
    UnknownState,
    #[error("the provider refused the sign-in: {0}")]
    Exchange(String),
    #[error("the provider's answer could not be used: {0}")]
    Profile(String),
    #[error("sign-in with providers is unavailable: the HTTP client could not be set up ({0})")]
    Unavailable(String),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl OAuthError {
    /// The sentence a visitor sees: the details (an internal issuer's address, a provider's
    /// error text) go to the log only.
    pub fn public_message(&self) -> &'static str {
        match self {
            OAuthError::Config(_) => {
                "Sign-in with this provider is not set up correctly. Ask the instance admin to check its settings."
            }
            OAuthError::UnknownState => {
                "The sign-in request expired or was already used. Try again."
            }
            OAuthError::Exchange(_) => "The provider refused the sign-in. Try again.",
            OAuthError::Profile(_) => {
                "The provider's answer could not be used. Try again, or sign in another way."
            }
            OAuthError::Unavailable(_) | OAuthError::Kv(_) => {
                "Sign-in with providers is unavailable right now. Try again later."
            }
        }
    }
}

fn config_err(e: impl std::fmt::Display) -> OAuthError {
    OAuthError::Config(e.to_string())
}

/// What waits between the redirect to the provider and its callback.
#[derive(Debug, Serialize, Deserialize)]
struct PendingFlow {
    provider: Provider,
    pkce_verifier: String,
    nonce: Option<String>,
    next_path: String,
}

/// A path on this site to return to after sign-in; anything else is `/`. Refused: anything
/// not starting with a single `/` (`//evil`, `https://…`), backslashes, and any control or
/// whitespace character (browsers drop tabs and newlines, so `/\t/evil` would become `//evil`);
/// and, as a last guard, anything a URL parser resolves to another origin.
pub fn safe_next_path(next: Option<&str>) -> String {
    match next {
        Some(p) if is_same_origin_path(p) => p.to_string(),
        _ => "/".to_string(),
    }
}

fn is_same_origin_path(p: &str) -> bool {
    if !p.starts_with('/')
        || p.starts_with("//")
        || p.len() > 512
        || p.chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    {
        return false;
    }
    let Ok(base) = url::Url::parse("http://plane-aio.invalid/") else {
        return false;
    };
    base.join(p)
        .is_ok_and(|joined| joined.origin() == base.origin() && !joined.path().starts_with("//"))
}

type OAuthClient = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Endpoints of the providers that are plain OAuth 2.
struct Endpoints {
    authorize: String,
    token: String,
    scopes: &'static [&'static str],
}

fn endpoints(provider: Provider, base: &str) -> Endpoints {
    match provider {
        Provider::Github => Endpoints {
            authorize: format!("{base}/login/oauth/authorize"),
            token: format!("{base}/login/oauth/access_token"),
            scopes: &["read:user", "user:email"],
        },
        Provider::Gitlab => Endpoints {
            authorize: format!("{base}/oauth/authorize"),
            token: format!("{base}/oauth/token"),
            scopes: &["read_user"],
        },
        Provider::Gitea | Provider::Google | Provider::Oidc => Endpoints {
            authorize: format!("{base}/login/oauth/authorize"),
            token: format!("{base}/login/oauth/access_token"),
            scopes: &["read:user"],
        },
    }
}

fn oauth_client(
    provider: Provider,
    settings: &ProviderSettings,
    redirect_uri: &str,
) -> Result<OAuthClient, OAuthError> {
    let e = endpoints(provider, &settings.base_url);
    Ok(BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            settings.client_secret.expose().to_string(),
        ))
        .set_auth_uri(AuthUrl::new(e.authorize).map_err(config_err)?)
        .set_token_uri(TokenUrl::new(e.token).map_err(config_err)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(config_err)?))
}

async fn oidc_metadata(
    settings: &ProviderSettings,
    http: &HttpClient,
) -> Result<CoreProviderMetadata, OAuthError> {
    let issuer = IssuerUrl::new(settings.base_url.clone()).map_err(config_err)?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| {
            // The issuer is compared as text: `https://x` is not `https://x/` (and values saved
            // before issuers were kept as written lost their slash).
            let hint = if e.to_string().to_lowercase().contains("issuer") {
                "; enter the issuer URL in Instance settings exactly as the provider's discovery \
                 document names it (with or without its trailing /)"
            } else {
                ""
            };
            OAuthError::Config(format!(
                "OpenID discovery at {} failed: {e}{hint}",
                settings.base_url
            ))
        })
}

/// Lifetime of a pending sign-in (and of the browser's cookie that binds it).
pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A started sign-in: where to send the browser, and the state it must present on return.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
}

/// Starts a sign-in: returns the provider URL to send the browser to and the flow's state.
pub async fn start(
    kv: &Kv,
    http: &HttpClient,
    provider: Provider,
    settings: &ProviderSettings,
    redirect_uri: &str,
    next_path: String,
) -> Result<Started, OAuthError> {
    http.client()?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = if provider.is_oidc() {
        let client = CoreClient::from_provider_metadata(
            oidc_metadata(settings, http).await?,
            ClientId::new(settings.client_id.clone()),
            Some(ClientSecret::new(
                settings.client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(config_err)?);
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        (url, state, Some(nonce.secret().clone()))
    } else {
        let client = oauth_client(provider, settings, redirect_uri)?;
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in endpoints(provider, &settings.base_url).scopes {
            request = request.add_scope(Scope::new((*scope).into()));
        }
        let (url, state) = request.url();
        (url, state, None)
    };
    let flow = PendingFlow {
        provider,
        pkce_verifier: verifier.secret().clone(),
        nonce,
        next_path,
    };
    kv.set(
        Namespace::AuthCodes,
        &format!("oauth:{}", state.secret()),
        &flow,
        Some(FLOW_LIFETIME),
    )
    .await?;
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
    })
}

/// Whether the state the browser holds (its cookie) is the callback's state; constant time.
pub fn binds(browser_state: Option<&str>, state: &str) -> bool {
    browser_state.is_some_and(|held| !held.is_empty() && super::codes::same(held, state))
}

/// Completes a sign-in from the provider's callback: checks the state (and that the browser
/// holds it: `browser_state`, from its cookie), exchanges the code and reads the user's
/// identity. Returns it with the path to return to. A browser without the matching cookie is
/// refused before the flow is used, so the browser that started it can still finish it.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    kv: &Kv,
    http: &HttpClient,
    provider: Provider,
    settings: &ProviderSettings,
    redirect_uri: &str,
    code: &str,
    state: &str,
    browser_state: Option<&str>,
) -> Result<(Identity, String), OAuthError> {
    http.client()?;
    if !binds(browser_state, state) {
        return Err(OAuthError::UnknownState);
    }
    let key = format!("oauth:{state}");
    let flow: PendingFlow = kv
        .get(Namespace::AuthCodes, &key)
        .await?
        .ok_or(OAuthError::UnknownState)?;
    if !kv.remove(Namespace::AuthCodes, &key).await? || flow.provider != provider {
        return Err(OAuthError::UnknownState);
    }
    let verifier = PkceCodeVerifier::new(flow.pkce_verifier);
    let identity = if provider.is_oidc() {
        let client = CoreClient::from_provider_metadata(
            oidc_metadata(settings, http).await?,
            ClientId::new(settings.client_id.clone()),
            Some(ClientSecret::new(
                settings.client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(config_err)?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(config_err)?
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(|e| OAuthError::Exchange(e.to_string()))?;
        let id_token = openidconnect::TokenResponse::id_token(&token)
            .ok_or_else(|| OAuthError::Profile("no ID token in the answer".into()))?;
        let nonce = Nonce::new(flow.nonce.unwrap_or_default());
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| OAuthError::Profile(format!("ID token rejected: {e}")))?;
        let name = |n: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserGivenName>>| {
            n.and_then(|c| c.get(None))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let family = claims
            .family_name()
            .and_then(|c| c.get(None))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let full = claims
            .name()
            .and_then(|c| c.get(None))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let (mut email, mut email_verified) = (
            claims.email().map(|e| e.to_string()),
            claims.email_verified(),
        );
        if email.is_none()
            && let Ok(request) =
                client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
        {
            // Some providers keep the address out of the ID token and give it only at the
            // userinfo endpoint (Authelia since 4.39, Keycloak with its mappers set so).
            let info: CoreUserInfoClaims = request
                .request_async(http)
                .await
                .map_err(|e| OAuthError::Profile(format!("userinfo: {e}")))?;
            email = info.standard_claims().email().map(|e| e.to_string());
            email_verified = info.standard_claims().email_verified();
        }
        Identity {
            provider_account_id: claims.subject().to_string(),
            email,
            // An address the provider does not vouch for is never trusted (see `accounts`).
            email_verified: email_verified.unwrap_or(false),
            first_name: name(claims.given_name()),
            last_name: family,
            display_name: full,
            avatar_url: claims
                .picture()
                .and_then(|c| c.get(None))
                .map(|v| v.to_string()),
        }
    } else {
        let client = oauth_client(provider, settings, redirect_uri)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(|e| OAuthError::Exchange(e.to_string()))?;
        profile(
            http,
            provider,
            &settings.base_url,
            token.access_token().secret(),
        )
        .await?
    };
    Ok((identity, flow.next_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(safe_next_path(Some("/acme/projects")), "/acme/projects");
        assert_eq!(safe_next_path(Some("//evil.example")), "/");
        assert_eq!(
            safe_next_path(Some("/..//evil.example")),
            "/",
            "resolves to //"
        );
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/\\evil")), "/");
        assert_eq!(safe_next_path(None), "/");
        assert_eq!(safe_next_path(Some("")), "/");
        assert_eq!(safe_next_path(Some("acme")), "/");
        assert_eq!(
            safe_next_path(Some("/acme/projects?tab=all#top")),
            "/acme/projects?tab=all#top"
        );
    }

    #[test]
    fn next_paths_with_control_characters_or_whitespace_are_refused() {
        // Browsers strip tabs and newlines from URLs: `/\t/evil.example` becomes `//evil.example`.
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/ /evil.example",
            "/acme\u{0}",
            "/acme\u{7f}",
            "/acme\u{85}",
            "/acme\u{a0}x",
            "/acme\u{3000}x",
            "/acme projects",
        ] {
            assert_eq!(safe_next_path(Some(bad)), "/", "{bad:?}");
        }
    }

    #[test]
    fn next_paths_must_be_absolute_paths_of_this_origin() {
        for bad in [
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
            "//evil.example/x",
            "/\\/evil.example",
            "./acme",
            "../acme",
            "?next=/x",
            "#/x",
        ] {
            assert_eq!(safe_next_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next_path(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(
            safe_next_path(Some("/%09/evil.example")),
            "/%09/evil.example"
        );
    }

    #[tokio::test]
    async fn without_an_http_client_sign_in_fails_instead_of_following_redirects() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Kv::open_fjall(dir.path()).unwrap();
        let settings = ProviderSettings {
            client_id: "id".into(),
            client_secret: crate::config::Secret::new("secret"),
            base_url: "https://git.example".into(),
            display_name: String::new(),
        };
        let http = HttpClient::unavailable("no TLS backend");
        let started = start(
            &kv,
            &http,
            Provider::Gitea,
            &settings,
            "https://x/cb",
            "/".into(),
        )
        .await;
        assert!(
            matches!(started, Err(OAuthError::Unavailable(_))),
            "{:?}",
            started.err()
        );
        let finished = finish(
            &kv,
            &http,
            Provider::Gitea,
            &settings,
            "https://x/cb",
            "code",
            "state",
            Some("state"),
        )
        .await;
        assert!(matches!(finished, Err(OAuthError::Unavailable(_))));
    }

    #[test]
    fn providers_round_trip_their_names() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.name()), Some(p));
        }
        assert_eq!(
            profile::github_api("https://github.com"),
            "https://api.github.com"
        );
        assert_eq!(
            profile::github_api("https://git.corp.example"),
            "https://git.corp.example/api/v3"
        );
    }
}
