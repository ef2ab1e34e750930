//! `plane-aio admin …`: account administration from the shell, working while the server runs
//! (it uses the database, never the server's locked key-value folder). Sessions of a user whose
//! password is reset or who is disabled stop working at once: the server checks both on every
//! request.

use std::{io::BufRead, process::ExitCode};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::DataFlags;
use crate::{
    config::Settings,
    db::{self, Db},
    domain::{
        accounts::{self, AuthError, Names},
        email::Email,
        password,
        problem::Problem,
        workspaces,
    },
    kv::Kv,
};

#[derive(Debug, Args)]
pub struct PasswordInput {
    /// Read the password from the first line of standard input (keeps it out of the process list).
    #[arg(long, conflicts_with = "password")]
    password_stdin: bool,
    /// The password (visible to other users of the machine: prefer --password-stdin).
    #[arg(long)]
    password: Option<String>,
}

impl PasswordInput {
    fn read(&self) -> anyhow::Result<String> {
        if let Some(p) = &self.password {
            return Ok(p.clone());
        }
        if !self.password_stdin {
            bail!("give the password with --password-stdin (or --password)");
        }
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input");
        }
        Ok(password)
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account (no sign-up policy applies).
    CreateUser {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordInput,
        /// Make the account an instance admin (the first account of an instance always is).
        #[arg(long)]
        instance_admin: bool,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Set a new password; the user's sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordInput,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Create an API token for a user and print it (shown this once).
    CreateToken {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long)]
        label: Option<String>,
        /// Lifetime, e.g. 30d or 12h; never expires when absent.
        #[arg(long)]
        expires_in: Option<String>,
        /// A service token (for integrations): rate limited at 300 requests a minute.
        #[arg(long)]
        service: bool,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// List a user's API tokens (never their secrets).
    ListTokens {
        #[arg(long)]
        email: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Revoke an API token by its id (from list-tokens); it stops working at once.
    RevokeToken {
        #[arg(long)]
        id: uuid::Uuid,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// List the accounts.
    ListUsers {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Disable an account: its sessions and API tokens stop working at once.
    DisableUser {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Create a workspace owned by an existing user (its first admin).
    CreateWorkspace {
        /// At most 80 characters.
        #[arg(long)]
        name: String,
        /// Its address in URLs: letters, digits, `-` and `_`, at most 48.
        #[arg(long)]
        slug: String,
        /// The owner's email.
        #[arg(long)]
        owner: String,
        #[command(flatten)]
        flags: DataFlags,
    },
}

impl AdminCommand {
    pub fn flags(&self) -> DataFlags {
        match self {
            AdminCommand::CreateUser { flags, .. }
            | AdminCommand::ResetPassword { flags, .. }
            | AdminCommand::CreateToken { flags, .. }
            | AdminCommand::ListTokens { flags, .. }
            | AdminCommand::RevokeToken { flags, .. }
            | AdminCommand::ListUsers { flags, .. }
            | AdminCommand::DisableUser { flags, .. }
            | AdminCommand::CreateWorkspace { flags, .. } => flags.clone(),
        }
    }
}

async fn find_user(db: &Db, email: &str) -> anyhow::Result<db::users::User> {
    let parsed = Email::parse(email)
        .map_err(|_| anyhow::anyhow!("{email:?} is not a valid email address"))?;
    db::users::by_email(db, parsed.as_str())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user with email {}", parsed))
}

fn auth_error(error: AuthError, email: &str) -> anyhow::Error {
    match error {
        AuthError::Duplicate => anyhow::anyhow!("a user with email {email} already exists"),
        AuthError::WeakPassword(weak) => anyhow::anyhow!("the password is too weak: {weak}"),
        AuthError::InvalidEmail => anyhow::anyhow!("{email:?} is not a valid email address"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Brings a new database up to date (the admin commands may come before the first start). A
/// SQLite database that its server is using is never migrated here: a server older than this
/// binary would find its tables changed under it. (On Postgres migrations run under an advisory
/// lock beside live nodes, ahead of a rolling upgrade, as `plane-aio migrate` does.)
async fn migrate_unless_served(settings: &Settings, db: &Db) -> anyhow::Result<()> {
    if !db.is_postgres() {
        let pending = db
            .pending_migrations()
            .await
            .context("cannot read the migration state")?;
        if pending.is_empty() {
            return Ok(());
        }
        if let Err(in_use) = crate::app::data_dir::DataDir::ensure_free(&settings.data_dir) {
            bail!(
                "{in_use}, and this plane-aio is newer than its database: restart that server \
                 with this version first (it applies the migrations), then run this again"
            );
        }
    }
    db.migrate().await.context("cannot migrate the database")
}

pub async fn run(settings: &Settings, command: AdminCommand) -> anyhow::Result<ExitCode> {
    // Only a first account may start a new database: a mistyped --data-dir must not leave a
    // stray empty instance behind (or report "no user" of the wrong one).
    let creates = matches!(command, AdminCommand::CreateUser { .. });
    // A new account's input is checked before any database is made for it: a refused one
    // leaves nothing behind.
    let new_password = match &command {
        AdminCommand::CreateUser {
            email,
            password,
            first_name,
            last_name,
            ..
        } => {
            let secret = password.read()?;
            Email::parse(email).map_err(|_| auth_error(AuthError::InvalidEmail, email))?;
            password::check_strength(&secret, &[email.as_str(), first_name, last_name])
                .map_err(|weak| auth_error(AuthError::WeakPassword(weak), email))?;
            Some(secret)
        }
        _ => None,
    };
    let db = super::ops::open_db(settings, creates).await?;
    migrate_unless_served(settings, &db).await?;
    // In Postgres mode the sessions live in the database too and can be removed here.
    let shared_kv = db.is_postgres().then(|| Kv::shared(db.clone()));
    let result = match command {
        AdminCommand::CreateUser {
            email,
            password,
            instance_admin,
            first_name,
            last_name,
            ..
        } => {
            let secret = match new_password {
                Some(secret) => secret,
                None => password.read()?,
            };
            let names = Names {
                first_name,
                last_name,
                display_name: String::new(),
            };
            let user = accounts::create_user(&db, &email, &secret, &names, instance_admin)
                .await
                .map_err(|e| auth_error(e, &email))?;
            let is_admin = db::users::is_admin(&db, user.id).await?;
            println!(
                "created {} ({}){}",
                user.email,
                user.id,
                if is_admin { ", instance admin" } else { "" }
            );
            if is_admin && !instance_admin {
                println!(
                    "{} is the instance admin: the first account of an instance always is",
                    user.email
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ResetPassword {
            email, password, ..
        } => {
            let user = find_user(&db, &email).await?;
            let secret = password.read()?;
            password::check_strength(&secret, &[&user.email, &user.first_name, &user.last_name])
                .map_err(|weak| anyhow::anyhow!("the password is too weak: {weak}"))?;
            let user = accounts::store_password(&db, user, &secret)
                .await
                .map_err(|e| auth_error(e, &email))?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "the password of {email} changed meanwhile; nothing was written"
                    )
                })?;
            if let Some(kv) = &shared_kv {
                crate::domain::sessions::end_all(kv, user.id).await?;
            }
            println!(
                "password of {} changed; their sessions have ended",
                user.email
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::CreateToken {
            email,
            label,
            expires_in,
            service,
            ..
        } => {
            let user = find_user(&db, &email).await?;
            super::admin_tokens::create(&db, user, label, expires_in.as_deref(), service).await
        }
        AdminCommand::ListTokens { email, json, .. } => {
            let user = find_user(&db, &email).await?;
            super::admin_tokens::list(&db, &user, json).await
        }
        AdminCommand::RevokeToken { id, .. } => super::admin_tokens::revoke(&db, id).await,
        AdminCommand::ListUsers { json, .. } => {
            let users = db::users::list(&db).await?;
            if json {
                for (u, admin) in &users {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": u.id, "email": u.email, "display_name": u.display_name,
                            "is_active": u.is_active, "is_instance_admin": admin,
                            "date_joined": u.date_joined, "last_login_at": u.last_login_at,
                        })
                    );
                }
            } else if users.is_empty() {
                println!("no users yet");
            } else {
                println!(
                    "{:<36} {:<32} {:<8} {:<6} JOINED",
                    "ID", "EMAIL", "ACTIVE", "ADMIN"
                );
                for (u, admin) in &users {
                    println!(
                        "{:<36} {:<32} {:<8} {:<6} {}",
                        u.id,
                        u.email,
                        if u.is_active { "yes" } else { "no" },
                        if *admin { "yes" } else { "no" },
                        u.date_joined.format("%Y-%m-%d")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::DisableUser { email, .. } => {
            let user = find_user(&db, &email).await?;
            let user = accounts::disable(&db, shared_kv.as_ref(), user)
                .await
                .map_err(|e| auth_error(e, &email))?;
            println!(
                "{} is disabled; their sessions and API tokens no longer work",
                user.email
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::CreateWorkspace {
            name, slug, owner, ..
        } => {
            let user = find_user(&db, &owner).await?;
            if !user.is_active {
                bail!("{} is disabled", user.email);
            }
            let draft = workspaces::WorkspaceDraft {
                name,
                slug: slug.clone(),
                ..Default::default()
            };
            let workspace = workspaces::create_for(&db, &user, draft)
                .await
                .map_err(|problem| workspace_problem(problem, &slug))?;
            println!(
                "created workspace {} ({}) owned by {}",
                workspace.slug, workspace.id, user.email
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    db.close().await;
    result
}

/// One line per problem, naming the flag.
fn workspace_problem(problem: Problem, slug: &str) -> anyhow::Error {
    match problem {
        Problem::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|(field, messages)| format!("--{field}: {}", messages.join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Problem::Conflict(_) => anyhow::anyhow!("a workspace with the slug {slug} already exists"),
        other => anyhow::anyhow!("{other}"),
    }
}
