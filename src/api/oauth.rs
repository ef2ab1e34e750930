//! `/auth/<provider>/` and `/auth/<provider>/callback/`: sign-in with GitHub, Google, GitLab,
//! Gitea or an OpenID Connect provider. Both answer with redirects: to the provider, then back to
//! where the user was going (or to the sign-in page with an error code and message).

use poem::{
    Request,
    web::{Data, cookie::CookieJar},
};
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query};

use super::{Tag, auth::start_session, error::ApiError, instance::redirect_uri};
use crate::{
    app::AppState,
    domain::{
        accounts::{self, AuthError},
        oauth::{self, OAuthError, Provider},
    },
};

#[derive(ApiResponse)]
pub enum Redirect {
    /// Follow the `Location` header.
    #[oai(status = 302)]
    Found(#[oai(header = "location")] String),
}

fn to_sign_in(code: &str, message: &str) -> Redirect {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("error_code", code)
        .append_pair("error_message", message)
        .finish();
    Redirect::Found(format!("/sign-in?{query}"))
}

pub struct OAuthApi;

#[OpenApi(prefix_path = "/auth", tag = "Tag::Authentication")]
impl OAuthApi {
    /// Sends the browser to the provider's sign-in page.
    #[oai(path = "/:provider/", method = "get")]
    async fn start(
        &self,
        state: Data<&AppState>,
        provider: Path<String>,
        next_path: Query<Option<String>>,
    ) -> Result<Redirect, ApiError> {
        let provider = Provider::parse(&provider.0).ok_or_else(ApiError::not_found)?;
        let settings = state.instance_settings().await?;
        let Some(credentials) = settings.provider(provider.name()) else {
            return Ok(to_sign_in(
                "OAUTH_NOT_CONFIGURED",
                &format!(
                    "Sign-in with {} is not set up on this instance.",
                    provider.name()
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
            Ok(url) => Ok(Redirect::Found(url)),
            Err(OAuthError::Kv(e)) => Err(ApiError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(provider = provider.name(), error = %e, "cannot start the provider sign-in");
                Ok(to_sign_in("OAUTH_PROVIDER_ERROR", &e.to_string()))
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
        if let Some(error) = error.0 {
            return Ok(to_sign_in(
                "OAUTH_PROVIDER_ERROR",
                &format!("{} refused the sign-in: {error}", provider.name()),
            ));
        }
        let (Some(code), Some(flow_state)) = (code.0, flow_state.0) else {
            return Ok(to_sign_in(
                "OAUTH_PROVIDER_ERROR",
                "The provider's answer is incomplete.",
            ));
        };
        let settings = state.instance_settings().await?;
        let Some(credentials) = settings.provider(provider.name()) else {
            return Ok(to_sign_in(
                "OAUTH_NOT_CONFIGURED",
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
        )
        .await
        {
            Ok(found) => found,
            Err(OAuthError::Kv(e)) => return Err(ApiError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(provider = provider.name(), error = %e, "provider sign-in failed");
                return Ok(to_sign_in("OAUTH_PROVIDER_ERROR", &e.to_string()));
            }
        };
        match accounts::sign_in_with_provider(&state, provider, &identity).await {
            Ok((user, _)) => {
                start_session(&state, req, jar, &user, provider.name()).await?;
                Ok(Redirect::Found(next))
            }
            Err(AuthError::Internal(e)) => Err(ApiError::Internal(e)),
            Err(e) => Ok(to_sign_in(e.code(), &e.to_string())),
        }
    }
}
