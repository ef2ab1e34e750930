//! `/auth/…`: signing up and in (password, emailed code, providers), out, and password
//! recovery, for the web UI. JSON in and out; the session is an HttpOnly cookie. Every unsafe
//! request needs the CSRF token (see [`super::authn`]).

use poem::{
    Request,
    web::{
        Data,
        cookie::{Cookie, CookieJar, SameSite},
    },
};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{
    Tag,
    authn::{self, CSRF_COOKIE, CallerSlot, Via},
    error::ApiError,
    users::MeUser,
};
use crate::{
    app::AppState,
    db::users::User,
    domain::{
        accounts::{self, AuthError, Names},
        email::Email,
        rate_limit::{self, Rate},
        sessions,
    },
};

/// Attempts per client address on the sign-in, sign-up, code and reset endpoints.
const AUTH_PER_ADDRESS: Rate = Rate::per_minute(20);
/// Mails (codes, reset links) one client may ask for one email address, per 10 minutes.
const MAILS_PER_CLIENT_AND_EMAIL: Rate = Rate {
    count: 5,
    window: std::time::Duration::from_secs(600),
};
/// Mails one email address may be sent from all clients together, per hour: bounds mail
/// bombing, while another client's requests alone cannot stop the owner asking for a code for
/// long (and a reset link also lifts the password lock-out).
const MAILS_PER_EMAIL: Rate = Rate {
    count: 20,
    window: std::time::Duration::from_secs(3600),
};

/// Refusals answer with Plane's authentication error body, `{"error_code": 5065,
/// "error_message": "AUTHENTICATION_FAILED_SIGN_IN", "error": "<a sentence>"}`; every 429 with
/// Plane's `{"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"}` and `Retry-After`.
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        use poem::http::StatusCode as S;
        let status = match &error {
            AuthError::Internal(_) => {
                return ApiError::Internal(anyhow::anyhow!("{error}"));
            }
            AuthError::Locked { retry_after } => return ApiError::rate_limited(*retry_after),
            AuthError::InvalidCredentials => S::UNAUTHORIZED,
            AuthError::SignUpDisabled
            | AuthError::DomainNotAllowed
            | AuthError::PasswordLoginDisabled
            | AuthError::MagicLoginDisabled
            | AuthError::AlreadySetUp => S::FORBIDDEN,
            AuthError::Duplicate => S::CONFLICT,
            _ => S::BAD_REQUEST,
        };
        ApiError::Body {
            status,
            body: error.code().body(&error.to_string()),
        }
    }
}

/// Sets the session and a fresh CSRF cookie for a user who just signed in, ending the session
/// the browser held before: the new one counts from `authenticated_at`, when the credentials
/// were checked (see [`sessions::create`]).
pub async fn start_session(
    state: &AppState,
    req: &Request,
    jar: &CookieJar,
    user: &User,
    medium: &str,
    authenticated_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let ip = authn::client_ip(req, &state.settings().trusted_proxies);
    let user_agent = authn::user_agent(req);
    if let Some(previous) = jar.get(sessions::COOKIE) {
        sessions::end_cookie(state.kv(), previous.value_str())
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    let (cookie, _) = sessions::create(
        state.kv(),
        user.id,
        &user_agent,
        &ip,
        medium,
        authenticated_at,
    )
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    let secure = secure_cookies(state, req).await;
    jar.add(session_cookie(&cookie, secure));
    jar.add(csrf_cookie(&new_csrf_token(), secure));
    Ok(())
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, for a session's lifetime.
pub fn session_cookie(value: &str, secure: bool) -> Cookie {
    let mut session = Cookie::new_with_str(sessions::COOKIE, value);
    session.set_http_only(true);
    session.set_same_site(SameSite::Lax);
    session.set_path("/");
    session.set_secure(secure);
    session.set_max_age(sessions::LIFETIME);
    session
}

/// Whether browsers reach us over HTTPS: served over TLS here, or the public URL — the
/// configured one, else the one the admin set in the instance settings — is HTTPS (a proxy in
/// front terminates TLS).
pub async fn secure_cookies(state: &AppState, req: &Request) -> bool {
    if req.scheme() == &poem::http::uri::Scheme::HTTPS {
        return true;
    }
    let instance = state.instance_settings().await.unwrap_or_default();
    state.public_url(&instance).starts_with("https://")
}

fn new_csrf_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn csrf_cookie(token: &str, secure: bool) -> Cookie {
    let mut cookie = Cookie::new_with_str(CSRF_COOKIE, token);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(secure);
    cookie.set_max_age(std::time::Duration::from_secs(365 * 24 * 3600));
    cookie
}

fn clear_session_cookie(jar: &CookieJar) {
    let mut gone = Cookie::new_with_str(sessions::COOKIE, "");
    gone.set_path("/");
    gone.set_max_age(std::time::Duration::ZERO);
    jar.add(gone);
}

/// Counts an attempt against the client's address (and optionally the email); 429 with
/// `Retry-After` when over.
async fn limit(state: &AppState, req: &Request, email: Option<&str>) -> Result<(), ApiError> {
    let client = authn::client_bucket(req, &state.settings().trusted_proxies);
    let mut buckets = vec![(format!("auth-ip:{client}"), AUTH_PER_ADDRESS)];
    if let Some(email) = email.and_then(|e| Email::parse(e).ok()) {
        buckets.push((
            format!("auth-mail:{email}:{client}"),
            MAILS_PER_CLIENT_AND_EMAIL,
        ));
        buckets.push((format!("auth-mail:{email}"), MAILS_PER_EMAIL));
    }
    for (bucket, rate) in buckets {
        let decision = rate_limit::hit(state.kv(), &bucket, rate)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        if !decision.allowed {
            return Err(ApiError::rate_limited(decision.retry_after));
        }
    }
    Ok(())
}

#[derive(Debug, Object)]
pub struct CsrfToken {
    pub csrf_token: String,
}

#[derive(Debug, Object)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Object)]
pub struct SignUpRequest {
    pub email: String,
    pub password: String,
    /// The code emailed by `magic-generate`, proving the address.
    pub code: String,
    #[oai(default)]
    pub first_name: String,
    #[oai(default)]
    pub last_name: String,
}

#[derive(Debug, Object)]
pub struct EmailRequest {
    pub email: String,
}

#[derive(Debug, Object)]
pub struct MagicSignInRequest {
    pub email: String,
    pub code: String,
    /// Used when the code creates the account.
    #[oai(default)]
    pub first_name: String,
    #[oai(default)]
    pub last_name: String,
}

#[derive(Debug, Object)]
pub struct ResetPasswordRequest {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Object)]
pub struct ChangePasswordRequest {
    /// Required when the account has a password.
    pub old_password: Option<String>,
    pub new_password: String,
}

#[derive(Debug, Object)]
pub struct SignedIn {
    pub user: MeUser,
    /// True when this sign-in created the account.
    pub is_new: bool,
}

#[derive(Debug, Object)]
pub struct Notice {
    pub detail: String,
}

#[derive(ApiResponse)]
pub enum SignedOut {
    /// The session is over.
    #[oai(status = 204)]
    Done,
}

/// The sign-in answer: the user as `users/me/` shows them (the UI keeps it, so an instance
/// admin's flag must be true here too).
async fn signed_in(
    state: &AppState,
    user: &User,
    is_new: bool,
) -> Result<Json<SignedIn>, ApiError> {
    let admin = crate::db::users::is_admin(state.db(), user.id).await?;
    Ok(Json(SignedIn {
        user: MeUser::from_user(state, user, admin),
        is_new,
    }))
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/auth", tag = "Tag::Authentication")]
impl AuthApi {
    /// Returns the CSRF token (also set as the `csrftoken` cookie) that unsafe requests send in
    /// `X-CSRFToken`.
    #[oai(path = "/get-csrf-token/", method = "get")]
    async fn csrf_token(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
    ) -> Json<CsrfToken> {
        let token = match jar.get(CSRF_COOKIE) {
            Some(cookie) if cookie.value_str().len() == 64 => cookie.value_str().to_string(),
            _ => {
                let token = new_csrf_token();
                jar.add(csrf_cookie(&token, secure_cookies(&state, req).await));
                token
            }
        };
        Json(CsrfToken { csrf_token: token })
    }

    /// Signs in with email and password. Wrong email or wrong password: the same answer.
    #[oai(path = "/sign-in/", method = "post")]
    async fn sign_in(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        body: Json<SignInRequest>,
    ) -> Result<Json<SignedIn>, ApiError> {
        limit(&state, req, None).await?;
        let checked_at = state.db().clock_now().await?;
        let user = accounts::sign_in_with_password(&state, &body.email, &body.password).await?;
        start_session(&state, req, jar, &user, "email", checked_at).await?;
        signed_in(&state, &user, false).await
    }

    /// Signs up with a password and the code emailed by `magic-generate`.
    #[oai(path = "/sign-up/", method = "post")]
    async fn sign_up(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        body: Json<SignUpRequest>,
    ) -> Result<Json<SignedIn>, ApiError> {
        limit(&state, req, None).await?;
        let names = Names::new(&body.first_name, &body.last_name);
        let checked_at = state.db().clock_now().await?;
        let (user, is_new) =
            accounts::sign_up(&state, &body.email, &body.password, &names, &body.code).await?;
        start_session(&state, req, jar, &user, "email", checked_at).await?;
        signed_in(&state, &user, is_new).await
    }

    /// Emails a sign-in code when the address may sign in or sign up. Always the same answer.
    #[oai(path = "/magic-generate/", method = "post")]
    async fn magic_generate(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<EmailRequest>,
    ) -> Result<Json<Notice>, ApiError> {
        limit(&state, req, Some(&body.email)).await?;
        accounts::request_auth_mail(&state, accounts::AuthMail::MagicCode, &body.email).await?;
        Ok(Json(Notice {
            detail: "If this address can sign in here, a code is on its way.".into(),
        }))
    }

    /// Signs in (or up, when allowed) with an emailed code.
    #[oai(path = "/magic-sign-in/", method = "post")]
    async fn magic_sign_in(
        &self,
        state: Data<&AppState>,
        req: &Request,
        jar: &CookieJar,
        body: Json<MagicSignInRequest>,
    ) -> Result<Json<SignedIn>, ApiError> {
        limit(&state, req, None).await?;
        let names = Names::new(&body.first_name, &body.last_name);
        let checked_at = state.db().clock_now().await?;
        let (user, is_new) =
            accounts::sign_in_with_code(&state, &body.email, &body.code, &names).await?;
        start_session(&state, req, jar, &user, "magic-code", checked_at).await?;
        signed_in(&state, &user, is_new).await
    }

    /// Emails a password-reset link when the address has an account. Always the same answer.
    #[oai(path = "/forgot-password/", method = "post")]
    async fn forgot_password(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<EmailRequest>,
    ) -> Result<Json<Notice>, ApiError> {
        limit(&state, req, Some(&body.email)).await?;
        accounts::request_auth_mail(&state, accounts::AuthMail::PasswordReset, &body.email).await?;
        Ok(Json(Notice {
            detail: "If this address has an account, a reset link is on its way.".into(),
        }))
    }

    /// Sets a new password with the emailed link's token; every session of the account ends.
    #[oai(path = "/reset-password/", method = "post")]
    async fn reset_password(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<ResetPasswordRequest>,
    ) -> Result<Json<Notice>, ApiError> {
        limit(&state, req, None).await?;
        accounts::reset_password(&state, &body.token, &body.password).await?;
        Ok(Json(Notice {
            detail: "Your password is set. Sign in with it.".into(),
        }))
    }

    /// Changes the signed-in user's password. Other sessions end; this one continues. Limited
    /// like sign-in: attempts per client address, and wrong current passwords lock the address.
    #[oai(path = "/change-password/", method = "post")]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        req: &Request,
        jar: &CookieJar,
        body: Json<ChangePasswordRequest>,
    ) -> Result<Json<Notice>, ApiError> {
        let (caller, _) = caller.require_session()?;
        limit(&state, req, None).await?;
        let user = accounts::change_password(
            &state,
            caller.user.clone(),
            body.old_password.as_deref(),
            &body.new_password,
        )
        .await?;
        // After the change, which voided every earlier session (this one must outlive it).
        let now = state.db().clock_now().await?;
        start_session(&state, req, jar, &user, "email", now).await?;
        Ok(Json(Notice {
            detail: "Your password is changed. Other devices are signed out.".into(),
        }))
    }

    /// Ends the current session.
    #[oai(path = "/sign-out/", method = "post")]
    async fn sign_out(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        jar: &CookieJar,
    ) -> Result<SignedOut, ApiError> {
        if let Some(authn::Caller {
            via: Via::Session(session),
            ..
        }) = &caller.0.0
        {
            sessions::end(state.kv(), session)
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
        }
        clear_session_cookie(jar);
        Ok(SignedOut::Done)
    }
}
