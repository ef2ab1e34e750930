//! The account rules: signing up, signing in (password, magic code, provider), resetting and
//! changing passwords. HTTP handlers and the admin CLI both go through here.
//!
//! No answer tells whether an email has an account: failures look the same, codes and reset
//! links are "sent" for any address, and a password check for an unknown account costs the same
//! time as a real one.

use uuid::Uuid;

use super::{
    codes::{self, CodeCheck},
    email::Email,
    instance::InstanceSettings,
    oauth::{Identity, Provider},
    password::{self, WeakPassword},
    rate_limit::lockout,
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
    Locked,
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
    #[error("An account with this email exists. Sign in with it first, then connect {0}.")]
    UnverifiedProviderEmail(String),
    #[error("{0} did not share an email address.")]
    ProviderWithoutEmail(String),
    #[error("The instance is already set up.")]
    AlreadySetUp,
    #[error("A user with this email already exists.")]
    Duplicate,
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AuthError {
    /// A stable code for clients (and the UI's messages), in Plane's style.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidCredentials => "AUTHENTICATION_FAILED",
            AuthError::Locked => "RATE_LIMIT_EXCEEDED",
            AuthError::SignUpDisabled => "SIGNUP_DISABLED",
            AuthError::DomainNotAllowed => "EMAIL_DOMAIN_NOT_ALLOWED",
            AuthError::WeakPassword(_) => "INVALID_PASSWORD",
            AuthError::InvalidEmail => "INVALID_EMAIL",
            AuthError::InvalidCode => "INVALID_MAGIC_CODE",
            AuthError::InvalidLink => "INVALID_PASSWORD_TOKEN",
            AuthError::EmailNotConfigured => "SMTP_NOT_CONFIGURED",
            AuthError::PasswordLoginDisabled => "PASSWORD_LOGIN_DISABLED",
            AuthError::MagicLoginDisabled => "MAGIC_LINK_LOGIN_DISABLED",
            AuthError::WrongCurrentPassword => "INCORRECT_OLD_PASSWORD",
            AuthError::UnverifiedProviderEmail(_) => "OAUTH_EMAIL_NOT_VERIFIED",
            AuthError::ProviderWithoutEmail(_) => "OAUTH_NO_EMAIL",
            AuthError::AlreadySetUp => "INSTANCE_ALREADY_SETUP",
            AuthError::Duplicate => "USER_ALREADY_EXIST",
            AuthError::Internal(_) => "INTERNAL",
        }
    }
}

fn internal(e: impl Into<anyhow::Error>) -> AuthError {
    AuthError::Internal(e.into())
}

/// Names for a new account; empty parts are derived from the email.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
}

fn new_user(
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

async fn settings(state: &AppState) -> Result<InstanceSettings, AuthError> {
    state.instance_settings().await.map_err(internal)
}

/// Refuses new accounts the instance does not allow.
fn check_sign_up_allowed(settings: &InstanceSettings, email: &Email) -> Result<(), AuthError> {
    if !settings.signup_enabled() {
        return Err(AuthError::SignUpDisabled);
    }
    if !settings.email_domain_allowed(email.domain()) {
        return Err(AuthError::DomainNotAllowed);
    }
    Ok(())
}

fn hash(password: &str) -> Result<String, AuthError> {
    password::hash(password).map_err(|e| internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// The first account, which becomes the instance admin; refused once the instance is set up.
pub async fn create_first_admin(
    state: &AppState,
    email: &str,
    password: &str,
    names: &Names,
) -> Result<User, AuthError> {
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    let user = new_user(&email, names, Some(hash(password)?), false);
    match db::users::create_first_admin(state.db(), &user).await {
        Ok(user) => Ok(user),
        Err(CreateUserError::AlreadySetUp) => Err(AuthError::AlreadySetUp),
        Err(CreateUserError::Duplicate) => Err(AuthError::AlreadySetUp),
        Err(CreateUserError::Db(e)) => Err(internal(e)),
    }
}

/// Creates an account directly (the admin CLI): no sign-up policy applies.
pub async fn create_user(
    state_db: &db::Db,
    email: &str,
    password: &str,
    names: &Names,
    admin: bool,
) -> Result<User, AuthError> {
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    let user = new_user(&email, names, Some(hash(password)?), false);
    let created = if admin {
        db::users::create_admin(state_db, &user).await
    } else {
        db::users::create(state_db, &user).await
    };
    let user = created.map_err(|e| match e {
        CreateUserError::Duplicate => AuthError::Duplicate,
        CreateUserError::AlreadySetUp => AuthError::AlreadySetUp,
        CreateUserError::Db(e) => internal(e),
    })?;
    db::users::mark_setup_done(state_db)
        .await
        .map_err(internal)?;
    Ok(user)
}

/// Email + password sign-in.
pub async fn sign_in_with_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<User, AuthError> {
    let settings = settings(state).await?;
    if !settings.password_login_enabled() {
        return Err(AuthError::PasswordLoginDisabled);
    }
    let Ok(email) = Email::parse(email) else {
        password::verify_dummy(password);
        return Err(AuthError::InvalidCredentials);
    };
    let kv = state.kv();
    if lockout::is_locked(kv, email.as_str())
        .await
        .map_err(internal)?
    {
        password::verify_dummy(password);
        return Err(AuthError::Locked);
    }
    let user = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?;
    let verified = match user
        .as_ref()
        .and_then(|u| u.password.as_deref().map(|p| (u, p)))
    {
        Some((user, phc)) => password::verify(password, phc) && user.is_active,
        None => {
            password::verify_dummy(password);
            false
        }
    };
    match (verified, user) {
        (true, Some(user)) => {
            lockout::clear(kv, email.as_str()).await.map_err(internal)?;
            db::users::record_login(state.db(), user, "email")
                .await
                .map_err(internal)
        }
        _ => {
            lockout::record_failure(kv, email.as_str())
                .await
                .map_err(internal)?;
            Err(AuthError::InvalidCredentials)
        }
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
        .enqueue(Job::SendMail { mail }, None)
        .await
        .map_err(internal)
}

/// Sends a sign-in code to `email` when it may sign in or sign up; answers the same either way.
pub async fn request_magic_code(state: &AppState, email: &str) -> Result<(), AuthError> {
    let settings = settings(state).await?;
    if !settings.magic_login_enabled() {
        return Err(AuthError::MagicLoginDisabled);
    }
    if settings.smtp().is_none() {
        return Err(AuthError::EmailNotConfigured);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    let user = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?;
    let may_use = match &user {
        Some(user) => user.is_active,
        None => check_sign_up_allowed(&settings, &email).is_ok(),
    };
    if may_use {
        let code = codes::issue_magic_code(state.kv(), email.as_str())
            .await
            .map_err(internal)?;
        let minutes = codes::MAGIC_CODE_LIFETIME.as_secs() / 60;
        send_mail(
            state,
            &settings,
            email.as_str(),
            MailKind::MagicCode { code, minutes },
        )
        .await?;
    }
    Ok(())
}

/// Signs in (or, when allowed, signs up) with an emailed code. Returns the user and whether
/// the account was created.
pub async fn sign_in_with_code(
    state: &AppState,
    email: &str,
    code: &str,
    names: &Names,
) -> Result<(User, bool), AuthError> {
    let settings = settings(state).await?;
    if !settings.magic_login_enabled() {
        return Err(AuthError::MagicLoginDisabled);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidCode)?;
    if codes::check_magic_code(state.kv(), email.as_str(), code)
        .await
        .map_err(internal)?
        != CodeCheck::Valid
    {
        return Err(AuthError::InvalidCode);
    }
    match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        Some(user) if user.is_active => {
            let user = verify_email(state, user).await?;
            Ok((
                db::users::record_login(state.db(), user, "magic-code")
                    .await
                    .map_err(internal)?,
                false,
            ))
        }
        Some(_) => Err(AuthError::InvalidCode),
        None => {
            check_sign_up_allowed(&settings, &email)?;
            let user = create_verified(state, &email, names, None).await?;
            Ok((
                db::users::record_login(state.db(), user, "magic-code")
                    .await
                    .map_err(internal)?,
                true,
            ))
        }
    }
}

/// Signs up with a password. The address is proven by a code from `request_magic_code`, so a
/// sign-up attempt for someone else's address reveals nothing and creates nothing.
pub async fn sign_up(
    state: &AppState,
    email: &str,
    password: &str,
    names: &Names,
    code: &str,
) -> Result<User, AuthError> {
    let settings = settings(state).await?;
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    check_sign_up_allowed(&settings, &email)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    if codes::check_magic_code(state.kv(), email.as_str(), code)
        .await
        .map_err(internal)?
        != CodeCheck::Valid
    {
        return Err(AuthError::InvalidCode);
    }
    let hashed = hash(password)?;
    let user = match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        // The owner of the address proved it: an existing account without a password gets one;
        // one with a password is simply signed in (its password is not replaced).
        Some(user) if user.password.is_none() => db::users::save(state.db(), user, |u| {
            u.password = sea_orm::ActiveValue::Set(Some(hashed));
            u.is_password_autoset = sea_orm::ActiveValue::Set(false);
            u.is_email_verified = sea_orm::ActiveValue::Set(true);
        })
        .await
        .map_err(internal)?,
        Some(user) if user.is_active => user,
        Some(_) => return Err(AuthError::InvalidCode),
        None => create_verified(state, &email, names, Some(hashed)).await?,
    };
    db::users::record_login(state.db(), user, "email")
        .await
        .map_err(internal)
}

async fn create_verified(
    state: &AppState,
    email: &Email,
    names: &Names,
    password_hash: Option<String>,
) -> Result<User, AuthError> {
    let new = new_user(email, names, password_hash, true);
    match db::users::create(state.db(), &new).await {
        Ok(user) => {
            db::users::mark_setup_done(state.db())
                .await
                .map_err(internal)?;
            Ok(user)
        }
        Err(CreateUserError::Duplicate) => Err(AuthError::Duplicate),
        Err(e) => Err(internal(e)),
    }
}

async fn verify_email(state: &AppState, user: User) -> Result<User, AuthError> {
    if user.is_email_verified {
        return Ok(user);
    }
    db::users::save(state.db(), user, |u| {
        u.is_email_verified = sea_orm::ActiveValue::Set(true)
    })
    .await
    .map_err(internal)
}

/// Emails a reset link when the address has an active account; answers the same either way.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AuthError> {
    let settings = settings(state).await?;
    if settings.smtp().is_none() {
        return Err(AuthError::EmailNotConfigured);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    if let Some(user) = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
        && user.is_active
    {
        let fingerprint = codes::password_fingerprint(user.password.as_deref());
        let token = codes::issue_reset_token(state.kv(), user.id, fingerprint)
            .await
            .map_err(internal)?;
        let link = format!(
            "{}/accounts/reset-password?token={token}",
            state.public_url(&settings).trim_end_matches('/')
        );
        let minutes = codes::RESET_LIFETIME.as_secs() / 60;
        send_mail(
            state,
            &settings,
            email.as_str(),
            MailKind::PasswordReset { link, minutes },
        )
        .await?;
    }
    Ok(())
}

/// Sets a new password from a reset link; every session of the user ends.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<User, AuthError> {
    // Check the password first so a weak one does not use up the link.
    password::check_strength(new_password, &[])?;
    let Some((user_id, fingerprint)) = codes::take_reset_token(state.kv(), token)
        .await
        .map_err(internal)?
    else {
        return Err(AuthError::InvalidLink);
    };
    let user = db::users::by_id(state.db(), user_id)
        .await
        .map_err(internal)?
        .filter(|u| {
            u.is_active && codes::password_fingerprint(u.password.as_deref()) == fingerprint
        })
        .ok_or(AuthError::InvalidLink)?;
    password::check_strength(
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    set_password(state, user, new_password).await
}

/// Replaces a user's password and ends all their sessions.
pub async fn set_password(
    state: &AppState,
    user: User,
    new_password: &str,
) -> Result<User, AuthError> {
    let user = store_password(state.db(), user, new_password).await?;
    super::sessions::end_all(state.kv(), user.id)
        .await
        .map_err(internal)?;
    lockout::clear(state.kv(), &user.email)
        .await
        .map_err(internal)?;
    Ok(user)
}

/// Stores a new password hash and voids every existing session (also those the caller cannot
/// delete from the key-value store, such as the CLI while the server holds it).
pub async fn store_password(
    db: &db::Db,
    user: User,
    new_password: &str,
) -> Result<User, AuthError> {
    let hashed = hash(new_password)?;
    db::users::save(db, user, |u| {
        u.password = sea_orm::ActiveValue::Set(Some(hashed));
        u.is_password_autoset = sea_orm::ActiveValue::Set(false);
        u.sessions_valid_after = sea_orm::ActiveValue::Set(Some(chrono::Utc::now()));
    })
    .await
    .map_err(internal)
}

/// Changes the signed-in user's password (the current one is required when there is one).
pub async fn change_password(
    state: &AppState,
    user: User,
    current: Option<&str>,
    new_password: &str,
) -> Result<User, AuthError> {
    if let Some(phc) = user.password.as_deref()
        && !password::verify(current.unwrap_or(""), phc)
    {
        return Err(AuthError::WrongCurrentPassword);
    }
    password::check_strength(
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    set_password(state, user, new_password).await
}

/// Signs in with a provider identity: the linked account, else the account with the same
/// verified email (then linked), else a new account when sign-up is allowed.
pub async fn sign_in_with_provider(
    state: &AppState,
    provider: Provider,
    identity: &Identity,
) -> Result<(User, bool), AuthError> {
    let label = provider.name().to_string();
    if let Some(link) =
        db::social_accounts::find(state.db(), provider.name(), &identity.provider_account_id)
            .await
            .map_err(internal)?
    {
        let user = db::users::by_id(state.db(), link.user_id)
            .await
            .map_err(internal)?
            .filter(|u| u.is_active)
            .ok_or(AuthError::InvalidCredentials)?;
        db::social_accounts::touch(state.db(), link.id)
            .await
            .map_err(internal)?;
        return Ok((
            db::users::record_login(state.db(), user, provider.name())
                .await
                .map_err(internal)?,
            false,
        ));
    }
    let email = identity
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or_else(|| AuthError::ProviderWithoutEmail(label.clone()))?;
    let metadata = serde_json::json!({ "display_name": identity.display_name, "avatar_url": identity.avatar_url });
    let (user, created) = match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        Some(user) if !identity.email_verified => {
            let _ = user;
            return Err(AuthError::UnverifiedProviderEmail(label));
        }
        Some(user) if !user.is_active => return Err(AuthError::InvalidCredentials),
        Some(user) => (user, false),
        None => {
            if !identity.email_verified {
                return Err(AuthError::UnverifiedProviderEmail(label));
            }
            check_sign_up_allowed(&settings(state).await?, &email)?;
            let names = Names {
                first_name: identity.first_name.clone(),
                last_name: identity.last_name.clone(),
                display_name: identity.display_name.clone(),
            };
            let mut user = create_verified(state, &email, &names, None).await?;
            if let Some(avatar) = identity.avatar_url.clone() {
                user = db::users::save(state.db(), user, |u| {
                    u.avatar = sea_orm::ActiveValue::Set(avatar)
                })
                .await
                .map_err(internal)?;
            }
            (user, true)
        }
    };
    db::social_accounts::link(
        state.db(),
        user.id,
        provider.name(),
        &identity.provider_account_id,
        metadata,
    )
    .await
    .map_err(internal)?;
    Ok((
        db::users::record_login(state.db(), user, provider.name())
            .await
            .map_err(internal)?,
        created,
    ))
}

/// Disables an account and ends its sessions (admin CLI and instance admins).
pub async fn disable(
    state_db: &db::Db,
    kv: Option<&crate::kv::Kv>,
    user: User,
) -> Result<User, AuthError> {
    let user = db::users::save(state_db, user, |u| {
        u.is_active = sea_orm::ActiveValue::Set(false)
    })
    .await
    .map_err(internal)?;
    if let Some(kv) = kv {
        super::sessions::end_all(kv, user.id)
            .await
            .map_err(internal)?;
    }
    Ok(user)
}

/// The id a new account of `email` would collide with, for the CLI's messages.
pub async fn existing(state_db: &db::Db, email: &str) -> Result<Option<Uuid>, AuthError> {
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    Ok(db::users::by_email(state_db, email.as_str())
        .await
        .map_err(internal)?
        .map(|u| u.id))
}
