//! The account rules: signing up, signing in (password, magic code, provider), resetting and
//! changing passwords. HTTP handlers and the admin CLI both go through here.
//!
//! No answer tells whether an email has an account: failures look the same, codes and reset
//! links are "sent" for any address, and a password check for an unknown account costs the same
//! time as a real one.

mod admin;
mod providers;
mod recovery;
mod sign_in;

pub use admin::{create_first_admin, create_user, disable};
pub use providers::sign_in_with_provider;
pub use recovery::{change_password, reset_password, set_password, store_password};
pub use sign_in::{sign_in_with_code, sign_in_with_password, sign_up};

use super::{
    auth_codes::{self, AuthCode},
    email::Email,
    instance::InstanceSettings,
    oauth::Provider,
    password::{self, WeakPassword},
};
use crate::{
    app::AppState,
    db::{
        self,
        users::{CreateUserError, NewUser, User},
    },
    jobs::Job,
    mail::{MailContext, MailKind},
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("Too many failed attempts. Try again in a few minutes.")]
    Locked {
        /// Seconds until the address unlocks.
        retry_after: u64,
    },
    #[error("This instance does not allow signing up. Ask an administrator for an invitation.")]
    SignUpDisabled,
    #[error("Accounts with this email domain cannot be created here.")]
    DomainNotAllowed,
    #[error("{0}")]
    WeakPassword(#[from] WeakPassword),
    #[error("Enter a valid email address.")]
    InvalidEmail,
    #[error("The code is not valid or has expired.")]
    InvalidCode,
    /// A password sign-up's code did not prove the address (or the address may not sign up).
    #[error("The code is not valid or has expired.")]
    InvalidSignUpCode,
    #[error("The link is not valid or has expired.")]
    InvalidLink,
    #[error("Email delivery is not set up on this instance.")]
    EmailNotConfigured,
    #[error("Signing in with a password is turned off on this instance.")]
    PasswordLoginDisabled,
    #[error("Signing in with an emailed code is turned off on this instance.")]
    MagicLoginDisabled,
    #[error("The current password is not correct.")]
    WrongCurrentPassword,
    /// Said whether or not an account has the address, so it tells nothing about accounts.
    #[error(
        "{} has not verified your email address. Verify it there, or sign in another way.",
        .0.label()
    )]
    UnverifiedProviderEmail(Provider),
    #[error("{} did not share an email address.", .0.label())]
    ProviderWithoutEmail(Provider),
    #[error("The instance is already set up.")]
    AlreadySetUp,
    #[error("A user with this email already exists.")]
    Duplicate,
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AuthError {
    /// Plane's code for the refusal (see [`auth_codes`]). Plane has no code of its own for a
    /// domain sign-up does not allow (`SIGNUP_DISABLED` says sign-up is closed to it) nor for
    /// a provider's unverified address (the provider's `…_OAUTH_PROVIDER_ERROR`).
    pub fn code(&self) -> AuthCode {
        match self {
            AuthError::InvalidCredentials => auth_codes::AUTHENTICATION_FAILED_SIGN_IN,
            AuthError::Locked { .. } => auth_codes::RATE_LIMIT_EXCEEDED,
            AuthError::SignUpDisabled | AuthError::DomainNotAllowed => auth_codes::SIGNUP_DISABLED,
            AuthError::WeakPassword(_) => auth_codes::PASSWORD_TOO_WEAK,
            AuthError::InvalidEmail => auth_codes::INVALID_EMAIL,
            AuthError::InvalidCode => auth_codes::INVALID_MAGIC_CODE_SIGN_IN,
            AuthError::InvalidSignUpCode => auth_codes::INVALID_MAGIC_CODE_SIGN_UP,
            AuthError::InvalidLink => auth_codes::INVALID_PASSWORD_TOKEN,
            AuthError::EmailNotConfigured => auth_codes::SMTP_NOT_CONFIGURED,
            AuthError::PasswordLoginDisabled => auth_codes::PASSWORD_LOGIN_DISABLED,
            AuthError::MagicLoginDisabled => auth_codes::MAGIC_LINK_LOGIN_DISABLED,
            AuthError::WrongCurrentPassword => auth_codes::INCORRECT_OLD_PASSWORD,
            AuthError::UnverifiedProviderEmail(provider) => auth_codes::provider_error(*provider),
            AuthError::ProviderWithoutEmail(_) => auth_codes::EMAIL_REQUIRED,
            AuthError::AlreadySetUp => auth_codes::ADMIN_ALREADY_EXIST,
            AuthError::Duplicate => auth_codes::USER_ALREADY_EXIST,
            AuthError::Internal(_) => auth_codes::AUTHENTICATION_FAILED,
        }
    }
}

pub(super) fn internal(e: impl Into<anyhow::Error>) -> AuthError {
    AuthError::Internal(e.into())
}

/// Names for a new account; empty parts are derived from the email.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
}

impl Names {
    pub fn new(first_name: &str, last_name: &str) -> Names {
        Names {
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            display_name: String::new(),
        }
    }
}

pub(super) fn new_user(
    email: &Email,
    names: &Names,
    password_hash: Option<String>,
    verified: bool,
) -> NewUser {
    let display_name = if names.display_name.trim().is_empty() {
        email.local_part().to_string()
    } else {
        names.display_name.trim().to_string()
    };
    NewUser {
        email: email.as_str().to_string(),
        first_name: names.first_name.trim().chars().take(255).collect(),
        last_name: names.last_name.trim().chars().take(255).collect(),
        display_name: display_name.chars().take(255).collect(),
        password_hash,
        is_email_verified: verified,
    }
}

pub(super) async fn settings(state: &AppState) -> Result<InstanceSettings, AuthError> {
    state.instance_settings().await.map_err(internal)
}

/// Refuses new accounts the instance does not allow. Someone invited to a workspace may sign up
/// with the invited address even when sign-up is closed (as in Plane).
pub(super) async fn check_sign_up_allowed(
    state: &AppState,
    settings: &InstanceSettings,
    email: &Email,
) -> Result<(), AuthError> {
    if super::invitations::is_invited(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        return Ok(());
    }
    if !settings.signup_enabled() {
        return Err(AuthError::SignUpDisabled);
    }
    if !settings.email_domain_allowed(email.domain()) {
        return Err(AuthError::DomainNotAllowed);
    }
    Ok(())
}

pub(super) async fn hash(password: &str) -> Result<String, AuthError> {
    password::hash(password).await.map_err(internal)
}

/// Mail that signs someone in or lets them back in, for an address that may or may not have an
/// account: queued as a job by the request (the same work for every address, on disk before the
/// answer), decided and sent by the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMail {
    MagicCode,
    PasswordReset,
}

/// Asks for a sign-in code or a reset link for `email`. Answers the same for every address, and
/// as fast: it only queues an [`AuthMail`] job, which decides whether the address may have one
/// (see [`send_auth_mail`]).
pub async fn request_auth_mail(
    state: &AppState,
    mail: AuthMail,
    email: &str,
) -> Result<(), AuthError> {
    let settings = settings(state).await?;
    // A code also proves the address for a password sign-up, so codes are issued while either
    // way in is on (the job sends one to an existing account only when it may sign in with it).
    if mail == AuthMail::MagicCode
        && !settings.magic_login_enabled()
        && !settings.password_login_enabled()
    {
        return Err(AuthError::MagicLoginDisabled);
    }
    // The input is judged before the instance: a malformed address is the caller's to fix.
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    if settings.smtp().is_none() {
        return Err(AuthError::EmailNotConfigured);
    }
    state
        .queue()
        .enqueue(
            Job::AuthMail {
                mail,
                email: email.as_str().to_string(),
            },
            None,
        )
        .await
        .map_err(internal)
}

/// The [`AuthMail`] job: issues the code or link when the address may have one, and queues its
/// mail. A retried job issues a new code (which replaces the earlier one).
pub async fn send_auth_mail(
    state: &AppState,
    mail: AuthMail,
    email: &str,
) -> Result<(), AuthError> {
    let settings = settings(state).await?;
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    match mail {
        AuthMail::MagicCode => sign_in::send_magic_code(state, &settings, &email).await,
        AuthMail::PasswordReset => recovery::send_reset_link(state, &settings, &email).await,
    }
}

/// Renders a mail and queues it.
pub async fn send_mail(
    state: &AppState,
    settings: &InstanceSettings,
    to: &str,
    kind: MailKind,
) -> Result<(), AuthError> {
    if settings.smtp().is_none() {
        return Err(AuthError::EmailNotConfigured);
    }
    let context = MailContext {
        instance_name: settings.instance_name().to_string(),
        public_url: state.public_url(settings).trim_end_matches('/').to_string(),
    };
    let mail = crate::mail::render(&kind, &context, to).map_err(internal)?;
    state
        .queue()
        .enqueue(
            Job::send_mail(state.secrets(), &mail, None).map_err(AuthError::Internal)?,
            None,
        )
        .await
        .map_err(internal)
}

pub(super) async fn create_verified(
    state: &AppState,
    email: &Email,
    names: &Names,
    password_hash: Option<String>,
) -> Result<User, AuthError> {
    let new = new_user(email, names, password_hash, true);
    match db::users::create(state.db(), &new).await {
        Ok(user) => Ok(user),
        Err(CreateUserError::Duplicate) => Err(AuthError::Duplicate),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn verify_email(state: &AppState, user: User) -> Result<User, AuthError> {
    if user.is_email_verified {
        return Ok(user);
    }
    db::users::save(state.db(), user, |u| {
        u.is_email_verified = sea_orm::ActiveValue::Set(true)
    })
    .await
    .map_err(internal)
}
