//! Plane's authentication error codes (`AUTHENTICATION_ERROR_CODES` in Plane's
//! `authentication/adapter/error.py`): what the errors of `/auth/` and of the first-run
//! sign-up carry as `error_code` (the number) and `error_message` (the name), and what the
//! provider sign-in's redirect back to the sign-in page carries in its query. The ones
//! plane-aio uses are listed here; the mapping from each refusal is `AuthError::code`.

use serde_json::{Value, json};

use super::oauth::Provider;

/// One of Plane's authentication error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCode {
    pub number: u16,
    pub name: &'static str,
}

impl AuthCode {
    /// Plane's body (`{"error_code": 5065, "error_message": "AUTHENTICATION_FAILED_SIGN_IN"}`)
    /// with `error`, a sentence for people (Plane adds one to some of its errors too).
    pub fn body(self, message: &str) -> Value {
        json!({ "error_code": self.number, "error_message": self.name, "error": message })
    }
}

macro_rules! codes {
    ($($name:ident = $number:literal),* $(,)?) => {
        $(pub const $name: AuthCode = AuthCode { number: $number, name: stringify!($name) };)*
    };
}

codes! {
    INVALID_EMAIL = 5005,
    EMAIL_REQUIRED = 5010,
    SIGNUP_DISABLED = 5015,
    MAGIC_LINK_LOGIN_DISABLED = 5016,
    PASSWORD_LOGIN_DISABLED = 5018,
    PASSWORD_TOO_WEAK = 5021,
    SMTP_NOT_CONFIGURED = 5025,
    USER_ALREADY_EXIST = 5030,
    AUTHENTICATION_FAILED_SIGN_IN = 5065,
    INVALID_MAGIC_CODE_SIGN_IN = 5090,
    INVALID_MAGIC_CODE_SIGN_UP = 5092,
    OAUTH_NOT_CONFIGURED = 5104,
    GOOGLE_NOT_CONFIGURED = 5105,
    GITHUB_NOT_CONFIGURED = 5110,
    GITLAB_NOT_CONFIGURED = 5111,
    GITEA_NOT_CONFIGURED = 5112,
    GOOGLE_OAUTH_PROVIDER_ERROR = 5115,
    GITHUB_OAUTH_PROVIDER_ERROR = 5120,
    GITLAB_OAUTH_PROVIDER_ERROR = 5121,
    GITEA_OAUTH_PROVIDER_ERROR = 5123,
    INVALID_PASSWORD_TOKEN = 5125,
    INCORRECT_OLD_PASSWORD = 5135,
    ADMIN_ALREADY_EXIST = 5150,
    RATE_LIMIT_EXCEEDED = 5900,
    AUTHENTICATION_FAILED = 5999,
}

/// The provider's sign-in is not set up (Plane's per-provider codes; OpenID Connect, which
/// Plane's community edition lacks, has the generic one).
pub fn not_configured(provider: Provider) -> AuthCode {
    match provider {
        Provider::Google => GOOGLE_NOT_CONFIGURED,
        Provider::Github => GITHUB_NOT_CONFIGURED,
        Provider::Gitlab => GITLAB_NOT_CONFIGURED,
        Provider::Gitea => GITEA_NOT_CONFIGURED,
        Provider::Oidc => OAUTH_NOT_CONFIGURED,
    }
}

/// The provider refused, failed, or gave nothing usable (its address unverified included).
pub fn provider_error(provider: Provider) -> AuthCode {
    match provider {
        Provider::Google => GOOGLE_OAUTH_PROVIDER_ERROR,
        Provider::Github => GITHUB_OAUTH_PROVIDER_ERROR,
        Provider::Gitlab => GITLAB_OAUTH_PROVIDER_ERROR,
        Provider::Gitea => GITEA_OAUTH_PROVIDER_ERROR,
        Provider::Oidc => AUTHENTICATION_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_their_own_names() {
        assert_eq!(RATE_LIMIT_EXCEEDED.name, "RATE_LIMIT_EXCEEDED");
        assert_eq!(
            PASSWORD_TOO_WEAK.body("too easy"),
            json!({"error_code": 5021, "error_message": "PASSWORD_TOO_WEAK", "error": "too easy"})
        );
        assert_eq!(provider_error(Provider::Gitea).number, 5123);
        assert_eq!(not_configured(Provider::Oidc), OAUTH_NOT_CONFIGURED);
    }
}
