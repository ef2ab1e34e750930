//! `/auth/<provider>/` and `/auth/<provider>/callback/`: sign-in with GitHub, Google, GitLab,
//! Gitea or an OpenID Connect provider. Both answer with redirects: to the provider, then back to
//! where the user was going (or to the sign-in page with Plane's error code and name, and the
//! detail).
//!
//! The start sets the `oauth-state` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS, for ten
//! minutes) to the flow's state; the callback signs in only the browser holding it, and clears it.

use poem::{
    Request,
    web::{
        Data,
        cookie::{Cookie, CookieJar, SameSite},
    },
};
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query};

use super::{
    Tag,
    auth::{secure_cookies, start_session},
    error::ApiError,
    instance::redirect_uri,
};
use crate::{
    app::AppState,
    domain::{
        accounts::{self, AuthError},
        auth_codes::{self, AuthCode},
        oauth::{self, OAuthError, Provider},
    },
};

#[derive(ApiResponse)]
pub enum Redirect {
    /// Follow the `Location` header.
    #[oai(status = 302)]
    Found(#[oai(header = "location")] String),
}

/// Back to the sign-in page with Plane's error code and name (`error_code=5120&
/// error_message=GITHUB_OAUTH_PROVIDER_ERROR`, as Plane's redirects) and the detail, for whoever
/// reads the address; the page words the refusal itself from the name, as anyone can write a
/// link with any `error` text.
fn to_sign_in(code: AuthCode, message: &str) -> Redirect {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("error_code", &code.number.to_string())
        .append_pair("error_message", code.name)
        .append_pair("error", message)
        .finish();
    Redirect::Found(format!("/sign-in?{query}"))
}

/// The cookie binding a pending sign-in to the browser that started it.
pub const STATE_COOKIE: &str = "oauth-state";

fn state_cookie(value: &str, secure: bool, max_age: std::time::Duration) -> Cookie {
    let mut cookie = Cookie::new_with_str(STATE_COOKIE, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/auth/");
    cookie.set_secure(secure);
    cookie.set_max_age(max_age);
    cookie
}

pub struct OAuthApi;

#[OpenApi(prefix_path = "/auth", tag = "Tag::Authentication")]
impl OAuthApi {
    /// Sends the browser to the provider's sign-in page.
    #[oai(path = "/:provider/", method = "get")]
    async fn start(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        provider: Path<String>,
        next_path: Query<Option<String>>,
    ) -> Result<Redirect, ApiError> {
        let provider = Provider::parse(&provider.0).ok_or_else(ApiError::not_found)?;
        let settings = state.instance_settings().await?;
        let Some(credentials) = settings.provider(provider.name()) else {
            return Ok(to_sign_in(
                auth_codes::not_configured(provider),
                &format!(
                    "Sign-in with {} is not set up on this instance.",
                    provider.label()
                ),
            ));
        };
        let callback = redirect_uri(&state.public_url(&settings), provider);
        let next = oauth::safe_next_path(next_path.0.as_deref());
        match oauth::start(
            state.kv(),
            state.oauth_http(),
            provider,
            &credentials,
            &callback,
            next,
        )
        .await
        {
            Ok(started) => {
                jar.add(state_cookie(
                    &started.state,
                    secure_cookies(&state, req).await,
                    oauth::FLOW_LIFETIME,
                ));
                Ok(Redirect::Found(started.url))
            }
            Err(OAuthError::Kv(e)) => Err(ApiError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(provider = provider.name(), error = %e, "cannot start the provider sign-in");
                Ok(to_sign_in(
                    auth_codes::provider_error(provider),
                    e.public_message(),
                ))
            }
        }
    }

    /// Where the provider sends the browser back: signs in, links or creates the account.
    #[oai(path = "/:provider/callback/", method = "get")]
    async fn callback(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        provider: Path<String>,
        code: Query<Option<String>>,
        #[oai(name = "state")] flow_state: Query<Option<String>>,
        error: Query<Option<String>>,
    ) -> Result<Redirect, ApiError> {
        let provider = Provider::parse(&provider.0).ok_or_else(ApiError::not_found)?;
        let browser_state = jar.get(STATE_COOKIE).map(|c| c.value_str().to_string());
        if let Some(error) = error.0 {
            return Ok(to_sign_in(
                auth_codes::provider_error(provider),
                &format!("{} refused the sign-in: {error}", provider.label()),
            ));
        }
        let (Some(code), Some(flow_state)) = (code.0, flow_state.0) else {
            return Ok(to_sign_in(
                auth_codes::provider_error(provider),
                "The provider's answer is incomplete.",
            ));
        };
        // The cookie serves the one callback of its flow (a callback of another flow, forged or
        // someone else's, leaves it for the browser's own).
        if oauth::binds(browser_state.as_deref(), &flow_state) {
            jar.add(state_cookie(
                "",
                secure_cookies(&state, req).await,
                std::time::Duration::ZERO,
            ));
        }
        let settings = state.instance_settings().await?;
        let Some(credentials) = settings.provider(provider.name()) else {
            return Ok(to_sign_in(
                auth_codes::not_configured(provider),
                "This sign-in method is not set up.",
            ));
        };
        let callback = redirect_uri(&state.public_url(&settings), provider);
        let (identity, next) = match oauth::finish(
            state.kv(),
            state.oauth_http(),
            provider,
            &credentials,
            &callback,
            &code,
            &flow_state,
            browser_state.as_deref(),
        )
        .await
        {
            Ok(found) => found,
            Err(OAuthError::Kv(e)) => return Err(ApiError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(provider = provider.name(), error = %e, "provider sign-in failed");
                return Ok(to_sign_in(
                    auth_codes::provider_error(provider),
                    e.public_message(),
                ));
            }
        };
        let checked_at = state.db().clock_now().await?;
        match accounts::sign_in_with_provider(&state, provider, &identity).await {
            Ok((user, _)) => {
                start_session(&state, req, jar, &user, provider.name(), checked_at).await?;
                Ok(Redirect::Found(next))
            }
            Err(AuthError::Internal(e)) => Err(ApiError::Internal(e)),
            Err(e) => Ok(to_sign_in(e.code(), &e.to_string())),
        }
    }
}
