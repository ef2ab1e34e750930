//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (database, key-value
//! store, storage and job queue all reachable; 503 naming what is not). Load balancers and
//! systemd/Docker health checks use them; the web UI reads the version and readiness here.

use std::{collections::BTreeMap, future::Future, time::Duration};

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::Tag;
use crate::app::AppState;

/// Longest a single dependency check may take before it counts as failing.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

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
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

#[derive(Debug, Object)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// The server's version.
    pub version: String,
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

pub struct OpsApi;

async fn check<F, E>(fut: F) -> Check
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let started = std::time::Instant::now();
    let error = match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())),
    };
    Check {
        status: if error.is_none() { "ok" } else { "error" }.to_string(),
        latency_ms: error
            .is_none()
            .then(|| started.elapsed().as_millis() as u64),
        error,
    }
}

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
        let (database, kv, storage, queue) = tokio::join!(
            check(state.db().ping()),
            check(state.kv().ping()),
            check(state.storage().check()),
            check(state.queue().ping()),
        );
        let checks = BTreeMap::from([
            ("database".to_string(), database),
            ("kv".to_string(), kv),
            ("storage".to_string(), storage),
            ("queue".to_string(), queue),
        ]);
        let failing: Vec<String> = checks
            .iter()
            .filter(|(_, c)| c.error.is_some())
            .map(|(name, _)| name.clone())
            .collect();
        for name in &failing {
            tracing::warn!(check = %name, error = ?checks[name].error, "readiness check failed");
        }
        let ready = failing.is_empty();
        let body = Readiness {
            status: if ready { "ready" } else { "unavailable" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
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
