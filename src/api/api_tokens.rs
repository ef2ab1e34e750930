//! `/api/users/api-tokens/`: the signed-in user's API tokens (Plane's app endpoint). A new token
//! is shown once, in the creation answer; only its hash is stored.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{Tag, authn::CallerSlot, error::ApiError, users::Deleted};
use crate::{app::AppState, db, domain::tokens};

#[derive(Debug, Object)]
pub struct ApiTokenView {
    pub id: Uuid,
    pub label: String,
    pub description: String,
    /// `plane_api_…` and the token's last characters.
    pub token_hint: String,
    pub is_active: bool,
    pub is_service: bool,
    pub last_used: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<db::api_tokens::ApiToken> for ApiTokenView {
    fn from(t: db::api_tokens::ApiToken) -> Self {
        ApiTokenView {
            id: t.id,
            label: t.label,
            description: t.description,
            token_hint: t.token_hint,
            is_active: t.is_active,
            is_service: t.is_service,
            last_used: t.last_used,
            expired_at: t.expired_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct NewApiToken {
    #[oai(validator(max_length = 255))]
    pub label: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub description: Option<String>,
    /// When the token stops working; never when absent.
    pub expired_at: Option<DateTime<Utc>>,
    /// Alternatively a lifetime such as `30d` or `12h`.
    pub expires_in: Option<String>,
}

#[derive(Debug, Object)]
pub struct CreatedApiToken {
    #[oai(flatten)]
    pub details: ApiTokenView,
    /// The token itself: shown this once, never again.
    pub token: String,
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Token(Json<CreatedApiToken>),
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// The expiry from either form; a past or unreadable one is refused.
pub fn expiry(
    expired_at: Option<DateTime<Utc>>,
    expires_in: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let at = match (expired_at, expires_in) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "Give expired_at or expires_in, not both.",
            ));
        }
        (Some(at), None) => Some(at),
        (None, Some(text)) => {
            let duration = humantime::parse_duration(text).map_err(|_| {
                ApiError::field("expires_in", "Enter a duration such as 30d or 12h.")
            })?;
            let delta = chrono::TimeDelta::from_std(duration)
                .map_err(|_| ApiError::field("expires_in", "The duration is too long."))?;
            Some(
                Utc::now()
                    .checked_add_signed(delta)
                    .ok_or_else(|| ApiError::field("expires_in", "The duration is too long."))?,
            )
        }
        (None, None) => None,
    };
    if at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::field(
            "expired_at",
            "The expiry must be in the future.",
        ));
    }
    Ok(at)
}

pub struct ApiTokensApi;

#[OpenApi(prefix_path = "/api/users/api-tokens", tag = "Tag::Users")]
impl ApiTokensApi {
    /// The signed-in user's tokens (not the tokens themselves).
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Json<Vec<ApiTokenView>>, ApiError> {
        let (caller, _) = caller.require_session()?;
        let tokens = db::api_tokens::for_user(state.db(), caller.user.id)
            .await
            .map_err(internal)?;
        Ok(Json(tokens.into_iter().map(ApiTokenView::from).collect()))
    }

    /// Creates a token and shows it once.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: Json<NewApiToken>,
    ) -> Result<Created, ApiError> {
        let (caller, _) = caller.require_session()?;
        let expires_at = expiry(body.expired_at, body.expires_in.as_deref())?;
        let fresh = tokens::generate();
        let label = body
            .label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| Uuid::new_v4().simple().to_string());
        let stored = db::api_tokens::create(
            state.db(),
            db::api_tokens::NewToken {
                user_id: caller.user.id,
                label: &label,
                description: body.description.as_deref().unwrap_or(""),
                hash: &fresh.hash,
                hint: &fresh.hint,
                expires_at,
                is_service: false,
            },
        )
        .await
        .map_err(internal)?;
        Ok(Created::Token(Json(CreatedApiToken {
            details: stored.into(),
            token: fresh.token,
        })))
    }

    /// Revokes a token: it stops working at once, on every node.
    #[oai(path = "/:token_id/", method = "delete")]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        token_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (caller, _) = caller.require_session()?;
        if db::api_tokens::revoke(state.db(), token_id.0, Some(caller.user.id))
            .await
            .map_err(internal)?
        {
            Ok(Deleted::Done)
        } else {
            Err(ApiError::not_found())
        }
    }
}
