//! Email: templates (plain text and HTML, in `assets/mail/`) and delivery over SMTP with lettre.
//!
//! Mails are rendered when they are asked for and sent by the job queue, so a slow or absent
//! SMTP server never holds up a request and a failed delivery is retried. The SMTP settings are
//! read at send time from the instance settings: STARTTLS, implicit TLS or plain, with or
//! without authentication (Plane requires a login; many relays accept none).

use std::{path::Path, sync::OnceLock, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::MultiPart,
    transport::smtp::{
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
    },
};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};

use crate::domain::instance::{EmailSecurity, SmtpSettings};

/// A rendered email, as the job queue stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a mail is about, with what its template needs.
#[derive(Debug, Clone)]
pub enum MailKind {
    MagicCode {
        code: String,
        minutes: u64,
    },
    PasswordReset {
        link: String,
        minutes: u64,
    },
    Invitation {
        inviter: String,
        workspace: String,
        link: String,
    },
    Test,
}

/// Names shared by every template.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub instance_name: String,
    pub public_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("invalid address: {0}")]
    Address(String),
    #[error("cannot build the email: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMTP TLS root certificate {0}")]
    CaRoot(String),
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // HTML templates escape every value; the text ones must not.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        let sources: [(&str, &str); 9] = [
            ("layout.html", include_str!("../../assets/mail/layout.html")),
            (
                "magic_code.html",
                include_str!("../../assets/mail/magic_code.html"),
            ),
            (
                "magic_code.txt",
                include_str!("../../assets/mail/magic_code.txt"),
            ),
            (
                "password_reset.html",
                include_str!("../../assets/mail/password_reset.html"),
            ),
            (
                "password_reset.txt",
                include_str!("../../assets/mail/password_reset.txt"),
            ),
            (
                "invitation.html",
                include_str!("../../assets/mail/invitation.html"),
            ),
            (
                "invitation.txt",
                include_str!("../../assets/mail/invitation.txt"),
            ),
            ("test.html", include_str!("../../assets/mail/test.html")),
            ("test.txt", include_str!("../../assets/mail/test.txt")),
        ];
        for (name, source) in sources {
            // The templates are compiled into the binary and covered by tests.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "mail template does not parse");
            }
        }
        env
    })
}

/// Renders a mail to `to`.
pub fn render(kind: &MailKind, ctx: &MailContext, to: &str) -> Result<OutgoingMail, MailError> {
    let (name, subject, values) = match kind {
        MailKind::MagicCode { code, minutes } => (
            "magic_code",
            format!("Your {} sign-in code: {code}", ctx.instance_name),
            context! { code, minutes },
        ),
        MailKind::PasswordReset { link, minutes } => (
            "password_reset",
            format!("Reset your {} password", ctx.instance_name),
            context! { link, minutes },
        ),
        MailKind::Invitation {
            inviter,
            workspace,
            link,
        } => (
            "invitation",
            format!(
                "{inviter} invited you to {workspace} on {}",
                ctx.instance_name
            ),
            context! { inviter, workspace, link },
        ),
        MailKind::Test => (
            "test",
            format!("Test email from {}", ctx.instance_name),
            context! {},
        ),
    };
    let all = context! {
        instance_name => ctx.instance_name,
        public_url => ctx.public_url,
        subject => subject,
        ..values
    };
    let env = templates();
    Ok(OutgoingMail {
        to: to.to_string(),
        text: env.get_template(&format!("{name}.txt"))?.render(&all)?,
        html: env.get_template(&format!("{name}.html"))?.render(&all)?,
        subject,
    })
}

/// The SMTP server's answer to a delivered mail, e.g. `250 2.0.0 Ok: queued`.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub code: String,
    pub message: String,
}

/// The extra trust root of `smtp_ca_root`. `serve` reads it at start, so a missing or
/// unusable file stops the start rather than failing every mail job later.
pub fn read_ca_root(path: &Path) -> Result<Certificate, MailError> {
    let pem =
        std::fs::read(path).map_err(|e| MailError::CaRoot(format!("{}: {e}", path.display())))?;
    Certificate::from_pem(&pem).map_err(|e| MailError::CaRoot(format!("{}: {e}", path.display())))
}

fn transport(
    smtp: &SmtpSettings,
    ca_root: Option<&Path>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let tls_parameters = || -> Result<TlsParameters, MailError> {
        let mut builder = TlsParameters::builder(smtp.host.clone());
        if let Some(path) = ca_root {
            builder = builder.add_root_certificate(read_ca_root(path)?);
        }
        Ok(builder.build_rustls()?)
    };
    let tls = match smtp.security {
        EmailSecurity::Starttls => Tls::Required(tls_parameters()?),
        EmailSecurity::Tls => Tls::Wrapper(tls_parameters()?),
        EmailSecurity::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(20)));
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

/// Sends one mail now and returns the server's answer.
pub async fn send(
    smtp: &SmtpSettings,
    ca_root: Option<&Path>,
    mail: &OutgoingMail,
) -> Result<Delivery, MailError> {
    let message = Message::builder()
        .from(
            smtp.from
                .parse()
                .map_err(|_| MailError::Address(smtp.from.clone()))?,
        )
        .to(mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?;
    let response = transport(smtp, ca_root)?.send(message).await?;
    Ok(Delivery {
        code: response.code().to_string(),
        message: response.message().collect::<Vec<_>>().join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MailContext {
        MailContext {
            instance_name: "Plane".into(),
            public_url: "https://plane.example.com".into(),
        }
    }

    #[test]
    fn every_template_renders_in_text_and_html() {
        for kind in [
            MailKind::MagicCode {
                code: "abcd-efgh-ijkl".into(),
                minutes: 10,
            },
            MailKind::PasswordReset {
                link: "https://plane.example.com/accounts/reset-password?token=x".into(),
                minutes: 60,
            },
            MailKind::Invitation {
                inviter: "Ada".into(),
                workspace: "Acme".into(),
                link: "https://plane.example.com/invitations/1".into(),
            },
            MailKind::Test,
        ] {
            let mail = render(&kind, &ctx(), "bob@example.com").unwrap();
            assert!(!mail.subject.is_empty());
            assert!(mail.text.contains("plane.example.com"), "{}", mail.text);
            assert!(mail.html.contains("<html"), "{}", mail.html);
        }
    }

    #[test]
    fn html_escapes_values_and_text_does_not() {
        let kind = MailKind::Invitation {
            inviter: "<script>alert(1)</script> & co".into(),
            workspace: "R&D".into(),
            link: "https://x.example/i".into(),
        };
        let mail = render(&kind, &ctx(), "bob@example.com").unwrap();
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.text.contains("<script>alert(1)</script> & co"));
    }
}
