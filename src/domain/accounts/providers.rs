//! Signing in with a provider identity (GitHub, GitLab, Gitea, Google, OIDC).

use super::{AuthError, Names, check_sign_up_allowed, create_verified, internal, settings};
use crate::{
    app::AppState,
    db::{self, users::User},
    domain::{
        email::Email,
        oauth::{Identity, Provider},
    },
};

/// Signs in with a provider identity: the linked account, else the account with the same
/// verified email (then linked), else a new account when sign-up is allowed.
pub async fn sign_in_with_provider(
    state: &AppState,
    provider: Provider,
    identity: &Identity,
) -> Result<(User, bool), AuthError> {
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
        .ok_or(AuthError::ProviderWithoutEmail(provider))?;
    let metadata = serde_json::json!({ "display_name": identity.display_name, "avatar_url": identity.avatar_url });
    // An address the provider does not vouch for is neither matched to an account nor used
    // for a new one, with the same answer either way.
    if !identity.email_verified {
        return Err(AuthError::UnverifiedProviderEmail(provider));
    }
    let (user, created) = match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        Some(user) if !user.is_active => return Err(AuthError::InvalidCredentials),
        Some(user) => (user, false),
        None => {
            check_sign_up_allowed(state, &settings(state).await?, &email).await?;
            let names = Names {
                first_name: identity.first_name.clone(),
                last_name: identity.last_name.clone(),
                display_name: identity.display_name.clone(),
            };
            match create_verified(state, &email, &names, None).await {
                Ok(mut user) => {
                    if let Some(avatar) = identity.avatar_url.clone() {
                        user = db::users::save(state.db(), user, |u| {
                            u.avatar = sea_orm::ActiveValue::Set(avatar)
                        })
                        .await
                        .map_err(internal)?;
                    }
                    (user, true)
                }
                // A concurrent first sign-in (the same person, twice) created it meanwhile.
                Err(AuthError::Duplicate) => (
                    db::users::by_email(state.db(), email.as_str())
                        .await
                        .map_err(internal)?
                        .filter(|u| u.is_active)
                        .ok_or(AuthError::InvalidCredentials)?,
                    false,
                ),
                Err(e) => return Err(e),
            }
        }
    };
    let link = db::social_accounts::link(
        state.db(),
        user.id,
        provider.name(),
        &identity.provider_account_id,
        metadata,
    )
    .await
    .map_err(internal)?;
    // The identity belongs to whom its link names (a concurrent sign-in may have linked it).
    let user = if link.user_id == user.id {
        user
    } else {
        db::users::by_id(state.db(), link.user_id)
            .await
            .map_err(internal)?
            .filter(|u| u.is_active)
            .ok_or(AuthError::InvalidCredentials)?
    };
    Ok((
        db::users::record_login(state.db(), user, provider.name())
            .await
            .map_err(internal)?,
        created,
    ))
}
