//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (database, key-value
//! store, storage and job queue all reachable; 503 naming what is not). Load balancers and
//! systemd/Docker health checks use them; the web UI reads the version and readiness here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::Tag;
use crate::app::AppState;

#[derive(Debug, Object)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

#[derive(Debug, Object)]
pub struct Check {
    /// `ok` or `error`.
    pub status: String,
    #[oai(skip_serializing_if_is_none)]
    pub latency_ms: Option<u64>,
    /// Set when the part failed; the cause itself is in the server log only.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

#[derive(Debug, Object)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// When the parts were checked: probes within a second share one check.
    pub checked_at: DateTime<Utc>,
    /// Parts that failed their check (empty when ready).
    pub failing: Vec<String>,
    /// One sentence naming what is unreachable, when not ready.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    pub checks: BTreeMap<String, Check>,
}

#[derive(ApiResponse)]
pub enum ReadinessResponse {
    /// Every part is reachable.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// At least one part is not; `failing` names it.
    #[oai(status = 503)]
    Unavailable(Json<Readiness>),
}

/// What `/readyz` says of a failing part; its cause is logged (`readiness check failed`).
const PUBLIC_ERROR: &str = "failed its check (the server log has the cause)";

pub struct OpsApi;

#[OpenApi(tag = "Tag::Operations")]
impl OpsApi {
    /// Liveness: the process is up and answering.
    #[oai(path = "/healthz", method = "get", method = "head")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// Readiness: database, key-value store, file storage and job queue are reachable.
    #[oai(path = "/readyz", method = "get", method = "head")]
    async fn readyz(&self, state: Data<&AppState>) -> ReadinessResponse {
        let readiness = state.readiness().await;
        let failing: Vec<String> = readiness.failing().into_iter().map(String::from).collect();
        let checks = readiness
            .checks
            .iter()
            .map(|(name, check)| {
                let answer = Check {
                    status: if check.error.is_none() { "ok" } else { "error" }.into(),
                    latency_ms: check
                        .error
                        .is_none()
                        .then_some(check.latency.as_millis() as u64),
                    // The cause names paths, hosts or buckets: the log has it, an anonymous
                    // answer does not.
                    error: check.error.as_ref().map(|_| PUBLIC_ERROR.to_string()),
                };
                (name.to_string(), answer)
            })
            .collect();
        let ready = failing.is_empty();
        let body = Readiness {
            status: if ready { "ready" } else { "unavailable" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            checked_at: readiness.checked_at,
            detail: (!ready).then(|| format!("not ready: {} unreachable", failing.join(", "))),
            failing,
            checks,
        };
        if ready {
            ReadinessResponse::Ready(Json(body))
        } else {
            ReadinessResponse::Unavailable(Json(body))
        }
    }
}
