//! `plane-aio admin create-token | list-tokens | revoke-token`: API tokens from the shell. A token
//! is printed once, when it is made; listings show everything but the secret. Revoking works
//! while the server runs: the server reads the token on every request.

use std::process::ExitCode;

use anyhow::bail;
use chrono::{DateTime, Utc};

use crate::{
    api::api_tokens,
    db::{self, Db, users::User},
    domain::tokens,
};

pub async fn create(
    db: &Db,
    user: User,
    label: Option<String>,
    expires_in: Option<&str>,
    service: bool,
) -> anyhow::Result<ExitCode> {
    if !user.is_active {
        bail!("{} is disabled", user.email);
    }
    let expires_at = api_tokens::expiry(None, expires_in)
        .map_err(|e| anyhow::anyhow!("--expires-in: {}", e.body()))?;
    let fresh = tokens::generate();
    let label = label.unwrap_or_else(|| "Created with plane-aio admin".to_string());
    db::api_tokens::create(
        db,
        db::api_tokens::NewToken {
            user_id: user.id,
            label: &label,
            description: "",
            hash: &fresh.hash,
            hint: &fresh.hint,
            expires_at,
            is_service: service,
        },
    )
    .await?;
    println!("{}", fresh.token);
    eprintln!(
        "{} for {} ({}); it is shown only this once{}",
        if service {
            "Service API token"
        } else {
            "API token"
        },
        user.email,
        label,
        expires_at
            .map(|at| format!(", expires {at}"))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

fn when(at: Option<DateTime<Utc>>, none: &str) -> String {
    at.map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| none.to_string())
}

/// The user's tokens that are not revoked, newest first. `last used` is written by the server
/// every 30 seconds, so a use in the last half minute may not show yet.
pub async fn list(db: &Db, user: &User, json: bool) -> anyhow::Result<ExitCode> {
    let tokens = db::api_tokens::for_user(db, user.id).await?;
    if json {
        for t in &tokens {
            println!(
                "{}",
                serde_json::json!({
                    "id": t.id, "label": t.label, "is_service": t.is_service,
                    "is_active": t.is_active, "created_at": t.created_at,
                    "last_used": t.last_used, "expired_at": t.expired_at,
                })
            );
        }
    } else if tokens.is_empty() {
        println!("{} has no API tokens", user.email);
    } else {
        println!(
            "{:<36} {:<24} {:<16} {:<16} {:<16} KIND",
            "ID", "LABEL", "CREATED", "LAST USED", "EXPIRES"
        );
        for t in &tokens {
            let label: String = t.label.chars().take(24).collect();
            println!(
                "{:<36} {:<24} {:<16} {:<16} {:<16} {}",
                t.id,
                label,
                when(Some(t.created_at), "-"),
                when(t.last_used, "never"),
                when(t.expired_at, "never"),
                if t.is_service { "service" } else { "personal" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn revoke(db: &Db, id: uuid::Uuid) -> anyhow::Result<ExitCode> {
    if !db::api_tokens::revoke(db, id, None).await? {
        bail!("no API token with id {id} (or it is already revoked)");
    }
    println!("API token {id} is revoked; it no longer works");
    Ok(ExitCode::SUCCESS)
}
