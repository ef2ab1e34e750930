//! Why a workspace or project action did not happen, in terms the API answers with Plane's
//! bodies (see `api::error`). Domain rules return these; they never carry HTTP types.

use std::collections::BTreeMap;

use serde_json::Value;

use super::access::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// Field problems: 400 `{"field": ["message"]}`.
    #[error("invalid fields: {0:?}")]
    Invalid(BTreeMap<String, Vec<String>>),
    /// A rule refused the request: 400 `{"error": message}`.
    #[error("{0}")]
    Refused(String),
    /// 400 with another body Plane uses (`{"error", "code"}`, …).
    #[error("{0}")]
    RefusedWith(Value),
    /// 409 with Plane's conflict body.
    #[error("conflict: {0}")]
    Conflict(Value),
    /// 403 `{"detail": "You do not have permission to perform this action."}`
    #[error("not allowed")]
    Forbidden,
    /// 403 `{"error": message}`.
    #[error("{0}")]
    ForbiddenBecause(String),
    /// 404 `{"error": "The requested resource does not exist."}`
    #[error("not found")]
    NotFound,
    /// 401 `{"detail": "Authentication credentials were not provided."}`
    #[error("not signed in")]
    Unauthenticated,
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl Problem {
    pub fn field(name: &str, message: impl Into<String>) -> Problem {
        Problem::Invalid(BTreeMap::from([(name.to_string(), vec![message.into()])]))
    }
}

impl From<sea_orm::DbErr> for Problem {
    fn from(error: sea_orm::DbErr) -> Problem {
        match error {
            // An update of one row that matched none: it was deleted meanwhile.
            sea_orm::DbErr::RecordNotUpdated => Problem::NotFound,
            error => Problem::Internal(error.into()),
        }
    }
}

impl From<Refusal> for Problem {
    fn from(refusal: Refusal) -> Problem {
        match refusal {
            Refusal::Forbidden => Problem::Forbidden,
            Refusal::NotFound => Problem::NotFound,
            Refusal::Unauthenticated => Problem::Unauthenticated,
            Refusal::NotInvited => {
                Problem::ForbiddenBecause("You do not have permission to join the workspace".into())
            }
            Refusal::WrongAccount | Refusal::SignInFirst => Problem::ForbiddenBecause(
                "Sign in as the invited address to accept this invitation".into(),
            ),
        }
    }
}

impl From<super::instance::SettingsError> for Problem {
    fn from(error: super::instance::SettingsError) -> Problem {
        Problem::Internal(error.into())
    }
}
