//! Inviting people to a workspace by email, and answering invitations.
//!
//! An invitation carries a random token, mailed (through the job queue) as a link to the web
//! UI; only its hash is stored. Declining needs the link; accepting needs the link or being
//! signed in as the invited address, and makes that account a member with the invited role.
//! Without SMTP the invitation is still created: the invitee finds it in the UI once signed in.
//! Invitations do not expire (as Plane's); an admin deletes one to withdraw it.

use uuid::Uuid;

use super::{
    access::{self, Action, InvitationFacts, Refusal, Role, Standing},
    email::Email,
    instance::InstanceSettings,
    problem::Problem,
    tokens,
};
use crate::{
    app::AppState,
    db::{
        self, Db,
        invitations::{Invitation, NewInvitation},
        now,
        users::User,
        workspaces::Workspace,
    },
    jobs::{Job, outbox},
    mail::{MailContext, MailKind},
};

#[derive(Debug, Clone)]
pub struct InvitationDraft {
    pub email: String,
    pub role: Role,
    pub message: Option<String>,
}

/// Creates the invitation and, when SMTP is set up, its mail job, in one transaction (through
/// the job outbox, see `jobs::outbox`): a kept invitation always has its mail on the way.
pub async fn invite(
    state: &AppState,
    workspace: &Workspace,
    inviter: &User,
    draft: InvitationDraft,
) -> Result<Invitation, Problem> {
    let email =
        Email::parse(&draft.email).map_err(|_| Problem::field("email", "Invalid email address"))?;
    let db = state.db();
    if let Some(user) = db::users::by_email(db, email.as_str()).await?
        && db::workspace_members::active(db, workspace.id, user.id)
            .await?
            .is_some()
    {
        return Err(Problem::field(
            "non_field_errors",
            "User is already a member of the workspace",
        ));
    }
    if db::invitations::pending(db, workspace.id, email.as_str())
        .await?
        .is_some()
    {
        return Err(Problem::field("non_field_errors", "Email already invited"));
    }
    let settings = state.instance_settings().await?;
    let id = Uuid::now_v7();
    let token = hex::encode(rand::random::<[u8; 32]>());
    let mail = if settings.smtp().is_some() {
        let job = mail_job(
            state,
            &settings,
            workspace,
            inviter,
            id,
            email.as_str(),
            &token,
        )?;
        Some(outbox::entry(&job).map_err(Problem::Internal)?)
    } else {
        tracing::warn!(
            workspace = %workspace.slug,
            "invitation created without email: SMTP is not configured; the invitee sees it after signing in"
        );
        None
    };
    let invitation = db::invitations::create(
        db,
        NewInvitation {
            id,
            workspace_id: workspace.id,
            email: email.as_str().to_string(),
            role: draft.role.code(),
            token_hash: tokens::hash(&token),
            message: draft.message,
            by: inviter.id,
            mail: mail.clone(),
        },
        now(),
    )
    .await
    // The same address invited at the same moment by someone else (a unique index holds one
    // pending invitation per address).
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Problem::field("non_field_errors", "Email already invited")
        } else {
            e.into()
        }
    })?
    .ok_or(Problem::NotFound)?;
    // The invitation and its mail are stored: a queue that cannot take the mail now delays it
    // until the outbox sweep, and the caller is told of the invitation all the same.
    if let Some(entry) = mail
        && let Err(e) = outbox::forward(db, state.queue(), &entry).await
    {
        tracing::warn!(
            invitation = %invitation.id, error = %format!("{e:#}"),
            "the invitation's mail waits in the job outbox: the next dispatch_outbox run queues it"
        );
    }
    Ok(invitation)
}

/// True while the invitation may still be answered: not withdrawn, not answered, its workspace
/// not deleted. Its mail is sent only then.
pub async fn is_pending(db: &Db, id: Uuid) -> Result<bool, Problem> {
    Ok(db::invitations::with_workspace(db, id)
        .await?
        .is_some_and(|(invitation, _)| invitation.responded_at.is_none()))
}

/// How an invitation names who sent it (its mail and its page): their display name, else
/// their address.
pub fn inviter_name(user: &User) -> String {
    if user.display_name.is_empty() {
        user.email.clone()
    } else {
        user.display_name.clone()
    }
}

/// The link the invitee follows: the web UI's invitation page.
pub fn link(public_url: &str, invitation: Uuid, token: &str) -> String {
    format!(
        "{}/invitations/{}?token={}",
        public_url.trim_end_matches('/'),
        invitation,
        token
    )
}

/// The job mailing invitation `id` to `email`, its link carrying `token`.
fn mail_job(
    state: &AppState,
    settings: &InstanceSettings,
    workspace: &Workspace,
    inviter: &User,
    id: Uuid,
    email: &str,
    token: &str,
) -> Result<Job, Problem> {
    let public_url = state.public_url(settings);
    let context = MailContext {
        instance_name: settings.instance_name().to_string(),
        public_url: public_url.trim_end_matches('/').to_string(),
    };
    let kind = MailKind::Invitation {
        inviter: inviter_name(inviter),
        workspace: workspace.name.clone(),
        link: link(&public_url, id, token),
    };
    let mail =
        crate::mail::render(&kind, &context, email).map_err(|e| Problem::Internal(e.into()))?;
    Job::send_mail(state.secrets(), &mail, Some(id)).map_err(Problem::Internal)
}

/// What the caller shows for an invitation: the mailed link's token, their session, both or
/// neither. The rule book (`access.rs`) says what that allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answerer<'a> {
    /// The token sent, when one was (an empty one counts as none).
    pub token: Option<&'a str>,
    /// The signed-in user, if any.
    pub user: Option<&'a User>,
}

impl<'a> Answerer<'a> {
    pub fn new(token: Option<&'a str>, user: Option<&'a User>) -> Answerer<'a> {
        Answerer {
            token: token.filter(|t| !t.is_empty()),
            user,
        }
    }

    fn facts(&self, invitation: Option<&Invitation>) -> InvitationFacts {
        InvitationFacts {
            signed_in: self.user.is_some(),
            sent_token: self.token.is_some(),
            // Comparing hashes leaks nothing useful about the token through timing.
            token_matches: invitation
                .zip(self.token)
                .is_some_and(|(i, token)| tokens::hash(token) == i.token_hash),
            is_invitee: invitation
                .zip(self.user)
                .is_some_and(|(i, user)| user.email == i.email),
        }
    }
}

/// Asks the rule book whether `answerer` may do `action` to `invitation`.
fn decide(
    action: Action,
    answerer: &Answerer<'_>,
    invitation: Option<&Invitation>,
) -> Result<(), Problem> {
    let standing = Standing {
        invitation: Some(answerer.facts(invitation)),
        ..Standing::default()
    };
    access::decide(action, &standing).map_err(|refusal| match (refusal, invitation) {
        (Refusal::WrongAccount, Some(i)) => Problem::ForbiddenBecause(format!(
            "This invitation is for {}; sign in with that address to accept it",
            i.email
        )),
        (Refusal::SignInFirst, Some(i)) => {
            Problem::ForbiddenBecause(format!("Sign in as {} to accept this invitation", i.email))
        }
        (refusal, _) => refusal.into(),
    })
}

/// An invitation found by id, with proof it may be read (the link's token or the invitee's
/// session). A wrong token answers as Plane does: 403; no token and no session: 401, for an
/// unknown id too.
pub async fn open(
    db: &Db,
    id: Uuid,
    answerer: Answerer<'_>,
) -> Result<(Invitation, Workspace), Problem> {
    let Some((invitation, workspace)) = db::invitations::with_workspace(db, id).await? else {
        decide(Action::ViewInvitation, &answerer, None).or_else(|problem| match problem {
            Problem::Unauthenticated => Err(problem),
            _ => Ok(()),
        })?;
        return Err(Problem::NotFound);
    };
    decide(Action::ViewInvitation, &answerer, Some(&invitation))?;
    Ok((invitation, workspace))
}

/// Accepts or declines. Accepting needs the invitee's account: signed in as the invited address.
pub async fn respond(
    db: &Db,
    id: Uuid,
    answerer: Answerer<'_>,
    accepted: bool,
) -> Result<Workspace, Problem> {
    let (invitation, workspace) = open(db, id, answerer).await?;
    if invitation.responded_at.is_some() {
        return Err(Problem::Refused(
            "You have already responded to the invitation request".into(),
        ));
    }
    let member = if accepted {
        decide(Action::AcceptInvitation, &answerer, Some(&invitation))?;
        answerer.user.map(|user| user.id)
    } else {
        decide(Action::DeclineInvitation, &answerer, Some(&invitation))?;
        None
    };
    match db::invitations::respond(db, &invitation, accepted, member, now()).await? {
        db::invitations::Response::Recorded => {}
        db::invitations::Response::AlreadyAnswered => {
            return Err(Problem::Refused(
                "You have already responded to the invitation request".into(),
            ));
        }
        db::invitations::Response::WorkspaceGone => return Err(Problem::NotFound),
    }
    Ok(workspace)
}

/// The unanswered invitations to the signed-in user's address, with their workspaces.
pub async fn mine(db: &Db, user: Option<&User>) -> Result<Vec<(Invitation, Workspace)>, Problem> {
    decide(Action::ListOwnInvitations, &Answerer::new(None, user), None)?;
    let Some(user) = user else {
        return Err(Problem::Unauthenticated);
    };
    Ok(db::invitations::pending_for_email(db, &user.email).await?)
}

/// Plane's refusal to change an answered invitation. Only a declined one is still there to be
/// refused: an accepted invitation is deleted with its acceptance (and then answers 404).
fn answered() -> Problem {
    Problem::RefusedWith(serde_json::json!({
        "error": "Invite already responded", "code": "INVITE_ALREADY_RESPONDED"
    }))
}

/// Why a write conditional on the invitation being unanswered changed nothing: it was
/// answered (refused as Plane refuses) or withdrawn (gone) since it was read.
async fn no_longer_pending(db: &Db, invitation: &Invitation) -> Problem {
    match db::invitations::get(db, invitation.workspace_id, invitation.id).await {
        Ok(Some(_)) => answered(),
        Ok(None) => Problem::NotFound,
        Err(e) => e.into(),
    }
}

/// Refuses to delete an answered invitation, as Plane does.
pub async fn withdraw(db: &Db, invitation: Invitation, by: Uuid) -> Result<(), Problem> {
    if invitation.responded_at.is_some() {
        return Err(answered());
    }
    if !db::invitations::delete(db, invitation.clone(), by, now()).await? {
        return Err(no_longer_pending(db, &invitation).await);
    }
    Ok(())
}

/// Changes the role of an unanswered invitation; an answered one keeps the role it was
/// answered with.
pub async fn change_role(
    db: &Db,
    invitation: Invitation,
    role: i16,
    by: Uuid,
) -> Result<Invitation, Problem> {
    if invitation.responded_at.is_some() {
        return Err(answered());
    }
    match db::invitations::set_role(db, invitation.clone(), role, by, now()).await? {
        Some(changed) => Ok(changed),
        None => Err(no_longer_pending(db, &invitation).await),
    }
}

/// True when someone invited `email` to a workspace and they have not answered: they may
/// create an account even when sign-up is closed (as in Plane).
pub async fn is_invited(db: &Db, email: &str) -> Result<bool, Problem> {
    Ok(!db::invitations::pending_for_email(db, email)
        .await?
        .is_empty())
}
