//! The signed-in user: Plane's `GET /api/v1/users/me/` (UserLite), the UI's profile endpoints
//! (`/api/users/me/`), the avatar (stored through the storage layer), and the list of sessions.

use std::time::Duration;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{Tag, authn::CallerSlot, error::ApiError};
use crate::{
    app::AppState,
    db::{self, users::User},
    domain::sessions,
    storage::ObjectKey,
};

/// Plane's UserLite, as `users/me/` and member lists give it.
#[derive(Debug, Clone, Object)]
pub struct UserLite {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub avatar: String,
    pub avatar_url: Option<String>,
    pub display_name: String,
}

/// Where a user's avatar can be fetched: the uploaded image, else the provider's picture.
pub fn avatar_url(user: &User) -> Option<String> {
    if user.avatar_asset.is_some() {
        Some(format!("/api/users/{}/avatar/", user.id))
    } else if !user.avatar.is_empty() {
        Some(user.avatar.clone())
    } else {
        None
    }
}

impl UserLite {
    pub fn from_user(user: &User) -> UserLite {
        UserLite {
            id: user.id,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            avatar: user.avatar.clone(),
            avatar_url: avatar_url(user),
            display_name: user.display_name.clone(),
        }
    }
}

/// The signed-in user as the web UI needs them.
#[derive(Debug, Clone, Object)]
pub struct MeUser {
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub avatar: String,
    pub avatar_url: Option<String>,
    pub user_timezone: String,
    pub is_active: bool,
    pub is_email_verified: bool,
    pub is_password_autoset: bool,
    pub is_instance_admin: bool,
    pub last_login_medium: Option<String>,
    pub date_joined: DateTime<Utc>,
}

impl MeUser {
    pub fn from_user(_state: &AppState, user: &User, is_instance_admin: bool) -> MeUser {
        MeUser {
            id: user.id,
            email: user.email.clone(),
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            display_name: user.display_name.clone(),
            avatar: user.avatar.clone(),
            avatar_url: avatar_url(user),
            user_timezone: user.user_timezone.clone(),
            is_active: user.is_active,
            is_email_verified: user.is_email_verified,
            is_password_autoset: user.is_password_autoset,
            is_instance_admin,
            last_login_medium: user.last_login_medium.clone(),
            date_joined: user.date_joined,
        }
    }
}

/// Profile changes; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct ProfileUpdate {
    #[oai(validator(max_length = 255))]
    pub first_name: Option<String>,
    #[oai(validator(max_length = 255))]
    pub last_name: Option<String>,
    #[oai(validator(max_length = 255))]
    pub display_name: Option<String>,
    /// An IANA time zone such as `Europe/Paris`.
    pub user_timezone: Option<String>,
    /// The `asset_key` of an uploaded avatar image; an empty string removes the avatar.
    pub avatar_asset: Option<String>,
}

#[derive(Debug, Object)]
pub struct AvatarUploadRequest {
    /// File name, for its extension.
    pub name: String,
    /// MIME type: image/jpeg, image/png, image/webp or image/gif.
    #[oai(rename = "type")]
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

#[derive(Debug, Object)]
pub struct UploadTarget {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Object)]
pub struct AvatarUpload {
    /// Where to send the file (no other credentials needed; valid for 10 minutes).
    pub upload: UploadTarget,
    /// Give this to `PATCH /api/users/me/` as `avatar_asset` once uploaded.
    pub asset_key: String,
}

#[derive(Debug, Object)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user_agent: String,
    pub ip: String,
    pub medium: String,
    /// The session of this request.
    pub is_current: bool,
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum Redirect {
    /// To a short-lived URL of the image.
    #[oai(status = 302)]
    Found(
        #[oai(header = "location")] String,
        #[oai(header = "cache-control")] String,
    ),
}

const AVATAR_TYPES: [(&str, &str); 5] = [
    ("image/jpeg", "jpg"),
    ("image/jpg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
];

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

pub struct UsersApi;

#[OpenApi(tag = "Tag::Users")]
impl UsersApi {
    /// The user the API key (or session) belongs to, as Plane's UserLite.
    #[oai(path = "/api/v1/users/me/", method = "get")]
    async fn v1_me(
        &self,
        caller: Data<&CallerSlot>,
    ) -> Result<super::shape::Shaped<UserLite>, ApiError> {
        let user = UserLite::from_user(&caller.require()?.user);
        Ok(super::shape::Shaped::new(
            super::shape::Shape::default().render(&user),
        ))
    }

    /// The signed-in user's profile.
    #[oai(path = "/api/users/me/", method = "get")]
    async fn me(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Json<MeUser>, ApiError> {
        let (caller, _) = caller.require_session()?;
        let admin = db::users::is_admin(state.db(), caller.user.id)
            .await
            .map_err(internal)?;
        Ok(Json(MeUser::from_user(&state, &caller.user, admin)))
    }

    /// Updates names, time zone and avatar.
    #[oai(path = "/api/users/me/", method = "patch")]
    async fn update_me(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: Json<ProfileUpdate>,
    ) -> Result<Json<MeUser>, ApiError> {
        let (caller, _) = caller.require_session()?;
        let user = caller.user.clone();
        if let Some(tz) = &body.user_timezone
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(ApiError::field(
                "user_timezone",
                format!("\"{tz}\" is not a valid choice."),
            ));
        }
        if body
            .display_name
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            return Err(ApiError::field(
                "display_name",
                "This field may not be blank.",
            ));
        }
        let avatar = match body.avatar_asset.as_deref() {
            None => None,
            Some("") => Some(None),
            // The avatar already set stays valid, however old its upload.
            Some(key) if user.avatar_asset.as_deref() == Some(key) => None,
            Some(key) => Some(Some(check_avatar(&state, &user, key).await?)),
        };
        let previous = user.avatar_asset.clone();
        let body = body.0;
        let user = db::users::save(state.db(), user, |u| {
            use sea_orm::ActiveValue::Set;
            if let Some(v) = body.first_name {
                u.first_name = Set(v.trim().to_string());
            }
            if let Some(v) = body.last_name {
                u.last_name = Set(v.trim().to_string());
            }
            if let Some(v) = body.display_name {
                u.display_name = Set(v.trim().to_string());
            }
            if let Some(v) = body.user_timezone {
                u.user_timezone = Set(v);
            }
            if let Some(v) = avatar.clone() {
                u.avatar_asset = Set(v);
            }
        })
        .await
        .map_err(internal)?;
        // The replaced image is no longer referenced.
        if avatar.is_some()
            && let Some(old) = previous.filter(|old| Some(old) != user.avatar_asset.as_ref())
            && let Ok(key) = ObjectKey::parse(&old)
            && let Err(e) = state.storage().delete(&key).await
        {
            tracing::warn!(key = %old, error = %e, "cannot delete the replaced avatar");
        }
        let admin = db::users::is_admin(state.db(), user.id)
            .await
            .map_err(internal)?;
        Ok(Json(MeUser::from_user(&state, &user, admin)))
    }

    /// Where to upload a new avatar image (then set it with `PATCH /api/users/me/`).
    #[oai(path = "/api/users/me/avatar/", method = "post")]
    async fn avatar_upload(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        body: Json<AvatarUploadRequest>,
    ) -> Result<Json<AvatarUpload>, ApiError> {
        let (caller, _) = caller.require_session()?;
        let Some((_, ext)) = AVATAR_TYPES
            .iter()
            .find(|(t, _)| *t == body.content_type.to_ascii_lowercase())
        else {
            return Err(ApiError::bad_request("Invalid file type."));
        };
        if body.size == 0 || body.size > state.settings().file_size_limit {
            return Err(ApiError::bad_request(
                "The file is empty or larger than the allowed size.",
            ));
        }
        let key = format!("avatars/{}/{}.{ext}", caller.user.id, Uuid::now_v7());
        let object = ObjectKey::parse(&key).map_err(internal)?;
        let target = state
            .storage()
            .presign_write(
                &object,
                Duration::from_secs(600),
                &public_base(&state).await?,
            )
            .await
            .map_err(internal)?;
        Ok(Json(AvatarUpload {
            upload: UploadTarget {
                method: target.method,
                url: target.url,
                headers: target.headers.into_iter().collect(),
            },
            asset_key: key,
        }))
    }

    /// A user's uploaded avatar. Anyone may fetch it, as Plane's avatar links: `avatar_url` goes
    /// to clients of `/api/v1/` that hold an API token (not read on this path) and into pages.
    #[oai(path = "/api/users/:user_id/avatar/", method = "get")]
    async fn avatar(
        &self,
        state: Data<&AppState>,
        user_id: Path<Uuid>,
    ) -> Result<Redirect, ApiError> {
        let user = db::users::by_id(state.db(), user_id.0)
            .await
            .map_err(internal)?
            .ok_or_else(ApiError::not_found)?;
        let key = user
            .avatar_asset
            .as_deref()
            .and_then(|k| ObjectKey::parse(k).ok())
            .ok_or_else(ApiError::not_found)?;
        let target = state
            .storage()
            .presign_read(&key, Duration::from_secs(3600), &public_base(&state).await?)
            .await
            .map_err(internal)?;
        Ok(Redirect::Found(target.url, "private, max-age=3000".into()))
    }

    /// The signed-in user's sessions (devices), most recently used first.
    #[oai(path = "/api/users/me/sessions/", method = "get")]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
    ) -> Result<Json<Vec<SessionInfo>>, ApiError> {
        let (caller, current) = caller.require_session()?;
        let list = sessions::list(state.kv(), caller.user.id)
            .await
            .map_err(internal)?;
        let valid_after = caller.user.sessions_valid_after;
        Ok(Json(
            list.into_iter()
                .filter(|s| valid_after.is_none_or(|after| s.record.created_at >= after))
                .map(|s| SessionInfo {
                    id: s.id().to_string(),
                    is_current: s.key == current.key,
                    created_at: s.record.created_at,
                    last_seen_at: s.record.last_seen_at,
                    user_agent: s.record.user_agent,
                    ip: s.record.ip,
                    medium: s.record.medium,
                })
                .collect(),
        ))
    }

    /// Signs one session out, on every node, from its next request.
    #[oai(path = "/api/users/me/sessions/:session_id/", method = "delete")]
    async fn revoke_session(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        session_id: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let (caller, _) = caller.require_session()?;
        if sessions::revoke(state.kv(), caller.user.id, &session_id.0)
            .await
            .map_err(internal)?
        {
            Ok(Deleted::Done)
        } else {
            Err(ApiError::not_found())
        }
    }
}

/// An avatar key must be one of the caller's uploads, present, small enough and an image.
async fn check_avatar(state: &AppState, user: &User, key: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::field(
            "avatar_asset",
            "Upload the image first, then send its asset_key.",
        )
    };
    let prefix = format!("avatars/{}/", user.id);
    let object = ObjectKey::parse(key).map_err(|_| invalid())?;
    let extension_ok = AVATAR_TYPES
        .iter()
        .any(|(_, ext)| key.ends_with(&format!(".{ext}")));
    // `avatars/<user>/<file>`, as uploads are named: a deeper key could only point under a file.
    let in_own_folder = key
        .strip_prefix(&prefix)
        .is_some_and(|file| !file.contains('/'));
    if !in_own_folder || !extension_ok {
        return Err(invalid());
    }
    match state.storage().stat(&object).await {
        // An upload is set right after it is made (its link lives ten minutes); an older one
        // may be about to go in the purge's sweep of unused uploads, so it is not taken.
        Ok((_, Some(written)))
            if written.elapsed().unwrap_or_default() > crate::cron::AVATAR_SETTABLE_FOR =>
        {
            Err(invalid())
        }
        Ok((size, _)) if size > 0 && size <= state.settings().file_size_limit => {
            Ok(key.to_string())
        }
        Ok(_) => {
            // An S3 upload URL cannot bound the size: what was sent over the limit goes now.
            if let Err(error) = state.storage().delete(&object).await {
                tracing::warn!(%error, key, "cannot remove a refused avatar upload");
            }
            Err(ApiError::field(
                "avatar_asset",
                "The image is empty or too large.",
            ))
        }
        Err(crate::storage::StorageError::NotFound) => Err(invalid()),
        Err(e) => Err(internal(e)),
    }
}

/// Signed storage URLs in fs mode point at the address users reach the instance at now.
async fn public_base(state: &AppState) -> Result<url::Url, ApiError> {
    Ok(state.public_base().await?)
}
