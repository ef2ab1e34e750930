//! The mail delivery job.

use crate::{app::AppState, mail::OutgoingMail};

pub async fn run(
    state: &AppState,
    mail: &OutgoingMail,
) -> Result<(), apalis::prelude::BoxDynError> {
    let settings = state.instance_settings().await?;
    let smtp = settings
        .smtp()
        .ok_or("email delivery is not set up (instance settings, Email)")?;
    let delivery = crate::mail::send(&smtp, state.settings().smtp_ca_root.as_deref(), mail).await?;
    tracing::info!(to = %mail.to, subject = %mail.subject, smtp_code = %delivery.code, "mail delivered");
    Ok(())
}
