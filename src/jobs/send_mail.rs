//! The mail delivery job.

use uuid::Uuid;

use crate::{app::AppState, domain::invitations, mail::OutgoingMail};

/// Sends `mail`; an invitation's mail only while the invitation is pending (it may have been
/// withdrawn or answered, or its workspace deleted, since the mail was queued).
pub async fn run(
    state: &AppState,
    sealed: &str,
    legacy: Option<OutgoingMail>,
    invitation: Option<Uuid>,
) -> Result<(), apalis::prelude::BoxDynError> {
    // Another instance secret (a data folder restored under a new one) cannot open it: retried
    // until dead, which `jobs list` shows. A job queued before mails were sealed has it in clear.
    let mail: OutgoingMail = match legacy {
        Some(mail) if sealed.is_empty() => mail,
        _ => serde_json::from_str(&state.secrets().open(sealed)?)?,
    };
    let mail = &mail;
    if let Some(id) = invitation
        && !invitations::is_pending(state.db(), id).await?
    {
        tracing::info!(
            to = %mail.to, invitation = %id,
            "invitation mail dropped: the invitation is no longer pending"
        );
        return Ok(());
    }
    let settings = state.instance_settings().await?;
    let smtp = settings
        .smtp()
        .ok_or("email delivery is not set up (instance settings, Email)")?;
    let delivery = crate::mail::send(&smtp, state.settings().smtp_ca_root.as_deref(), mail).await?;
    // Not the subject: a sign-in code's mail names the code there.
    tracing::info!(to = %mail.to, smtp_code = %delivery.code, "mail delivered");
    Ok(())
}
