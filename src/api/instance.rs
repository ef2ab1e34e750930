//! `/api/instances/…`: the instance's public facts (Plane's `GET /api/instances/`, which the UI
//! reads first: is it set up, which sign-in methods exist), the first-run admin sign-up, and the
//! settings only instance admins may read and change (Plane's "god-mode").

use std::collections::{BTreeMap, HashMap};

use poem::{
    Request,
    web::{Data, cookie::CookieJar},
};
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Tag,
    auth::{SignedIn, start_session},
    authn::{Caller, CallerSlot},
    error::ApiError,
    users::MeUser,
};
use crate::{
    app::AppState,
    db,
    domain::{
        accounts::{self, Names},
        instance::{self, SettingsError},
        oauth::Provider,
    },
    mail::{self, MailContext, MailKind},
};

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// The caller when they are an instance admin signed in with the cookie; else 401/403.
pub async fn require_admin<'a>(
    state: &AppState,
    slot: &'a CallerSlot,
) -> Result<&'a Caller, ApiError> {
    let (caller, _) = slot.require_session()?;
    if db::users::is_admin(state.db(), caller.user.id)
        .await
        .map_err(internal)?
    {
        Ok(caller)
    } else {
        Err(ApiError::forbidden())
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> ApiError {
        match e {
            SettingsError::Invalid { key, message } => ApiError::field(key, message),
            other => ApiError::Internal(other.into()),
        }
    }
}

#[derive(Debug, Object)]
pub struct AdminSignUp {
    pub email: String,
    pub password: String,
    #[oai(default)]
    pub first_name: String,
    #[oai(default)]
    pub last_name: String,
}

#[derive(Debug, Object)]
pub struct TestEmailRequest {
    /// Where to send the test mail.
    pub receiver_email: String,
}

#[derive(Debug, Object)]
pub struct TestEmailResult {
    pub message: String,
    /// The SMTP server's answer, e.g. `250 2.0.0 Ok: queued`.
    pub smtp_response: String,
}

#[derive(Debug, Object)]
pub struct AdminUserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_instance_admin: bool,
    pub date_joined: chrono::DateTime<chrono::Utc>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl AdminUserView {
    fn new(u: db::users::User, is_instance_admin: bool) -> AdminUserView {
        AdminUserView {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            first_name: u.first_name,
            last_name: u.last_name,
            is_active: u.is_active,
            is_instance_admin,
            date_joined: u.date_joined,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct AdminUserUpdate {
    pub is_active: Option<bool>,
}

/// The redirect (callback) URI to register with each provider.
pub fn redirect_uri(public_url: &str, provider: Provider) -> String {
    format!(
        "{}/auth/{}/callback/",
        public_url.trim_end_matches('/'),
        provider.name()
    )
}

pub struct InstanceApi;

#[OpenApi(prefix_path = "/api/instances", tag = "Tag::Instance")]
impl InstanceApi {
    /// The instance: version, whether it is set up, and which sign-in methods are on.
    #[oai(path = "/", method = "get")]
    async fn instance(&self, state: Data<&AppState>) -> Result<Json<Value>, ApiError> {
        let settings = state.instance_settings().await?;
        let users = db::users::count(state.db()).await.map_err(internal)?;
        let setup_done = users > 0
            || db::instance_config::get(state.db(), "INSTANCE_SETUP_DONE")
                .await
                .map_err(internal)?
                .is_some();
        let instance_id =
            db::instance_config::get_or_insert(state.db(), "INSTANCE_ID", "GENERAL", || {
                Uuid::now_v7().to_string()
            })
            .await
            .map_err(internal)?;
        let public_url = state.public_url(&settings);
        let provider_on = |p: Provider| settings.provider(p.name()).is_some();
        let redirect_uris: BTreeMap<&str, String> = Provider::ALL
            .iter()
            .map(|p| (p.name(), redirect_uri(&public_url, *p)))
            .collect();
        Ok(Json(json!({
            "instance": {
                "id": instance_id,
                "instance_name": settings.instance_name(),
                "current_version": env!("CARGO_PKG_VERSION"),
                "latest_version": null,
                "edition": "PLANE_COMMUNITY",
                "domain": public_url,
                "is_setup_done": setup_done,
                "is_signup_screen_visited": setup_done,
                "is_telemetry_enabled": false,
                "is_support_required": false,
                "is_verified": false,
                "is_activated": true,
            },
            "config": {
                "enable_signup": settings.signup_enabled(),
                "is_workspace_creation_disabled": settings.workspace_creation_disabled(),
                "is_google_enabled": provider_on(Provider::Google),
                "is_github_enabled": provider_on(Provider::Github),
                "is_gitlab_enabled": provider_on(Provider::Gitlab),
                "is_gitea_enabled": provider_on(Provider::Gitea),
                "is_oidc_enabled": provider_on(Provider::Oidc),
                "oidc_display_name": settings.get("OIDC_DISPLAY_NAME"),
                "is_magic_login_enabled": settings.magic_login_enabled(),
                "is_email_password_enabled": settings.password_login_enabled(),
                "is_smtp_configured": settings.smtp().is_some(),
                "github_app_name": "",
                "slack_client_id": null,
                "posthog_api_key": null,
                "posthog_host": null,
                "has_unsplash_configured": false,
                "has_llm_configured": false,
                "file_size_limit": state.settings().file_size_limit as f64,
                "app_base_url": public_url,
                "admin_base_url": format!("{public_url}/god-mode"),
                "space_base_url": format!("{public_url}/spaces"),
                "instance_changelog_url": "",
                "is_self_managed": true,
                "oauth_redirect_uris": redirect_uris,
            }
        })))
    }

    /// First run: creates the first account, which becomes the instance admin, and signs it in.
    /// Refused once the instance is set up.
    #[oai(path = "/admins/sign-up/", method = "post")]
    async fn admin_sign_up(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        body: Json<AdminSignUp>,
    ) -> Result<Json<SignedIn>, ApiError> {
        let names = Names::new(&body.first_name, &body.last_name);
        let checked_at = state.db().clock_now().await?;
        let user =
            accounts::create_first_admin(&state, &body.email, &body.password, &names).await?;
        start_session(&state, req, jar, &user, "email", checked_at).await?;
        Ok(Json(SignedIn {
            user: MeUser::from_user(&state, &user, true),
            is_new: true,
        }))
    }

    /// Every instance setting (secrets are never returned, only whether they are set).
    #[oai(path = "/configurations/", method = "get")]
    async fn configurations(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Json<Vec<Value>>, ApiError> {
        require_admin(&state, &caller).await?;
        Ok(Json(state.instance_settings().await?.listing()))
    }

    /// Changes settings: `{"KEY": "value", …}`; an empty value clears one. All or nothing.
    #[oai(path = "/configurations/", method = "patch")]
    async fn update_configurations(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: Json<HashMap<String, Value>>,
    ) -> Result<Json<Vec<Value>>, ApiError> {
        let caller = require_admin(&state, &caller).await?;
        let mut changes = BTreeMap::new();
        for (key, value) in body.0 {
            let text = match value {
                Value::String(s) => s,
                Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                _ => return Err(ApiError::field(key, "expected a string, number or boolean")),
            };
            changes.insert(key, text);
        }
        instance::update(state.db(), state.secrets(), &changes, Some(caller.user.id)).await?;
        Ok(Json(state.instance_settings().await?.listing()))
    }

    /// Sends a test mail now with the saved SMTP settings and returns the server's answer.
    #[oai(path = "/email-credentials-check/", method = "post")]
    async fn email_check(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: Json<TestEmailRequest>,
    ) -> Result<Json<TestEmailResult>, ApiError> {
        require_admin(&state, &caller).await?;
        let settings = state.instance_settings().await?;
        let smtp = settings.smtp().ok_or_else(|| {
            ApiError::bad_request("Email delivery is not set up: save the SMTP settings first.")
        })?;
        let to = crate::domain::email::Email::parse(&body.receiver_email)
            .map_err(|e| ApiError::field("receiver_email", e.to_string()))?;
        let context = MailContext {
            instance_name: settings.instance_name().to_string(),
            public_url: state.public_url(&settings),
        };
        let test = mail::render(&MailKind::Test, &context, to.as_str()).map_err(internal)?;
        match mail::send(&smtp, state.settings().smtp_ca_root.as_deref(), &test).await {
            Ok(delivery) => Ok(Json(TestEmailResult {
                message: "Email sent successfully.".into(),
                smtp_response: format!("{} {}", delivery.code, delivery.message)
                    .trim()
                    .to_string(),
            })),
            Err(e) => Err(ApiError::bad_request(format!(
                "The test email could not be sent: {e}"
            ))),
        }
    }

    /// Every account, oldest first.
    #[oai(path = "/users/", method = "get")]
    async fn users(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Json<Vec<AdminUserView>>, ApiError> {
        require_admin(&state, &caller).await?;
        let users = db::users::list(state.db()).await.map_err(internal)?;
        Ok(Json(
            users
                .into_iter()
                .map(|(u, is_admin)| AdminUserView::new(u, is_admin))
                .collect(),
        ))
    }

    /// Disables (or re-enables) an account; a disabled account's sessions and tokens stop at once.
    #[oai(path = "/users/:user_id/", method = "patch")]
    async fn update_user(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        user_id: Path<Uuid>,
        body: Json<AdminUserUpdate>,
    ) -> Result<Json<AdminUserView>, ApiError> {
        let caller = require_admin(&state, &caller).await?;
        let user = db::users::by_id(state.db(), user_id.0)
            .await
            .map_err(internal)?
            .ok_or_else(ApiError::not_found)?;
        let user = match body.is_active {
            Some(false) if user.id == caller.user.id => {
                return Err(ApiError::bad_request(
                    "You cannot disable your own account.",
                ));
            }
            Some(false) => accounts::disable(state.db(), Some(state.kv()), user).await?,
            Some(true) => db::users::save(state.db(), user, |u| {
                u.is_active = sea_orm::ActiveValue::Set(true)
            })
            .await
            .map_err(internal)?,
            None => user,
        };
        let is_admin = db::users::is_admin(state.db(), user.id)
            .await
            .map_err(internal)?;
        Ok(Json(AdminUserView::new(user, is_admin)))
    }
}
