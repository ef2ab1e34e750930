//! Who is calling, for every request under `/api/` and `/auth/`.
//!
//! * `X-Api-Key` (any case) authenticates `/api/v1/`: missing or empty → Plane's 401, unknown, expired or
//!   revoked → Plane's 403. Each token is rate limited (`api_key_rate_limit`; service tokens
//!   300/minute) with `X-RateLimit-Remaining`/`X-RateLimit-Reset`, and 429 with Plane's body.
//! * The `session-id` cookie authenticates everything, the UI's calls included. Unsafe requests
//!   authenticated by the cookie, and every unsafe request to `/auth/` or the first-run sign-up,
//!   must carry the `csrftoken` cookie's value in `X-CSRFToken` (double submit) and, when the
//!   browser sends an `Origin`, come from this site.
//! * Requests without credentials, and `/api/v1/` requests with a key that is not a valid token,
//!   are limited per client address (`anonymous_rate_limit`), so keys cannot be guessed at speed.
//! * A request that pushes its sliding session's expiry out gets the session cookie again,
//!   with the new lifetime.
//!
//! The result is a [`CallerSlot`] in the request's extensions; handlers ask it for the caller.

use std::net::IpAddr;

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
    web::RemoteAddr,
};
use serde_json::json;

use super::error::{ApiError, json_response};
use crate::{
    app::AppState,
    db::{self, users::User},
    domain::{
        rate_limit::{self, Decision, Rate},
        sessions::{self, Session},
        tokens::{self, KnownToken},
    },
    http::middleware::LoggedUser,
};

pub const API_KEY_HEADER: &str = "x-api-key";
pub const CSRF_COOKIE: &str = "csrftoken";
pub const CSRF_HEADER: &str = "x-csrftoken";
/// Plane's fixed limit for service tokens.
const SERVICE_TOKEN_RATE: Rate = Rate::per_minute(300);

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    ApiToken { id: uuid::Uuid, is_service: bool },
    Session(Box<Session>),
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

/// The request's caller, if any; what handlers take (`Data<&CallerSlot>`).
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(pub Option<Caller>);

impl CallerSlot {
    /// The caller, or Plane's 401.
    pub fn require(&self) -> Result<&Caller, ApiError> {
        self.0.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    /// The caller when signed in with the cookie (the UI's own endpoints), or 401.
    pub fn require_session(&self) -> Result<(&Caller, &Session), ApiError> {
        match &self.0 {
            Some(
                caller @ Caller {
                    via: Via::Session(session),
                    ..
                },
            ) => Ok((caller, session)),
            _ => Err(ApiError::unauthenticated()),
        }
    }
}

/// The client's address: the peer, or the nearest untrusted hop in `X-Forwarded-For` when the
/// peer is a trusted proxy. IPv4-mapped IPv6 addresses (an IPv4 peer of a `[::]` listener) are
/// read as the IPv4 address they are, so `trusted_proxies` and buckets see one form.
pub fn client_addr(req: &Request, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let RemoteAddr(poem::Addr::SocketAddr(peer)) = req.remote_addr() else {
        return None;
    };
    // Every line of the header, in order: some proxies (HAProxy) add a line of their own
    // rather than extend the client's, which the first line alone would be.
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|line| line.to_str().unwrap_or("unknown"))
        .collect::<Vec<_>>()
        .join(",");
    Some(behind_proxies(peer.ip(), &forwarded, trusted))
}

/// The nearest hop of `forwarded` (`X-Forwarded-For`) that is not a trusted proxy, when the
/// peer is one; else the peer. A hop that is not an address (`unknown`, garbage) ends the
/// walk at the trusted proxy that wrote it: skipping it would reach hops the client wrote.
fn behind_proxies(peer: IpAddr, forwarded: &str, trusted: &[ipnet::IpNet]) -> IpAddr {
    // Networks may be written either way for IPv4 (`10.0.0.0/8` or `::ffff:10.0.0.0/104`).
    let is_trusted = |ip: &IpAddr| {
        let mapped = match ip {
            IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
            IpAddr::V6(_) => None,
        };
        trusted
            .iter()
            .any(|net| net.contains(ip) || mapped.is_some_and(|m| net.contains(&m)))
    };
    let mut nearest = peer.to_canonical();
    if !is_trusted(&nearest) {
        return nearest;
    }
    for hop in forwarded.rsplit(',').map(str::trim) {
        // Some proxies (Azure's) write the client's port too: `1.2.3.4:5678`, `[::1]:80`.
        let address = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()));
        let Ok(address) = address else {
            return nearest;
        };
        nearest = address.to_canonical();
        if !is_trusted(&nearest) {
            return nearest;
        }
    }
    nearest
}

/// [`client_addr`] as text, as sessions record it ("unknown" off a socket).
pub fn client_ip(req: &Request, trusted: &[ipnet::IpNet]) -> String {
    client_addr(req, trusted).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// Who a per-client rate limit counts: the IPv4 address, or the /64 network of an IPv6 one
/// (one subscriber's allocation: counting single IPv6 addresses would let one client draw
/// fresh budgets from 2^64 of them).
pub fn client_bucket(req: &Request, trusted: &[ipnet::IpNet]) -> String {
    bucket_of(client_addr(req, trusted))
}

fn bucket_of(client: Option<IpAddr>) -> String {
    match client {
        Some(IpAddr::V6(ip)) => ipnet::Ipv6Net::new(ip, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| ip.to_string()),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

pub fn user_agent(req: &Request) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn cookie_value(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use hmac::Mac;
    let key = b"plane-aio csrf comparison";
    let (Ok(mut x), Ok(mut y)) = (
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key),
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key),
    ) else {
        return false;
    };
    x.update(a.as_bytes());
    y.update(b.as_bytes());
    y.verify_slice(&x.finalize().into_bytes()).is_ok()
}

fn csrf_failure(reason: &str) -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        &json!({ "detail": format!("CSRF Failed: {reason}") }),
    )
}

/// The double-submit check, plus the Origin check when the browser sends one.
fn check_csrf(req: &Request, public_url: &str) -> Option<Response> {
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let own = url::Url::parse(public_url)
            .ok()
            .map(|u| u.origin().ascii_serialization());
        let host_origin = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(|host| format!("{}://{host}", req.scheme().as_str()));
        if Some(origin.to_string()) != own && Some(origin.to_string()) != host_origin {
            return Some(csrf_failure(
                "Origin checking failed - the request does not come from this site.",
            ));
        }
    }
    let Some(cookie) = cookie_value(req, CSRF_COOKIE).filter(|c| !c.is_empty()) else {
        return Some(csrf_failure("CSRF cookie not set."));
    };
    match req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        None => Some(csrf_failure("CSRF token missing.")),
        Some(token) if constant_time_eq(token, &cookie) => None,
        Some(_) => Some(csrf_failure("CSRF token incorrect.")),
    }
}

pub fn rate_limited(decision: &Decision) -> Response {
    ApiError::rate_limited(decision.retry_after).into_response()
}

fn add_rate_headers(resp: &mut Response, decision: &Decision) {
    for (name, value) in [
        ("x-ratelimit-remaining", decision.remaining.to_string()),
        ("x-ratelimit-reset", decision.reset_at.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
}

/// Sends the session cookie again with a fresh Max-Age, unless the handler set it itself
/// (signed in again, signed out, changed the password).
fn renew_session_cookie(resp: &mut Response, cookie: &poem::web::cookie::Cookie) {
    let prefix = format!("{}=", sessions::COOKIE);
    let handler_set_it = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&prefix)));
    if handler_set_it {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

async fn session_caller(state: &AppState, cookie: &str) -> Result<Option<Caller>, ApiError> {
    let Some(session) = sessions::resolve(state.kv(), cookie)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    else {
        return Ok(None);
    };
    let Some(user) = db::users::by_id(state.db(), session.record.user_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    else {
        return Ok(None);
    };
    let voided = user
        .sessions_valid_after
        .is_some_and(|after| session.record.created_at < after);
    if !user.is_active || voided {
        return Ok(None);
    }
    Ok(Some(Caller {
        user,
        via: Via::Session(Box::new(session)),
    }))
}

/// A token's caller (with the token's id and kind), or None when the key (its hash given) is
/// not a valid, active, unexpired token of an active user.
async fn token_caller(
    state: &AppState,
    hash: &str,
) -> Result<Option<(Caller, uuid::Uuid, bool)>, ApiError> {
    let Some((token, user)) = db::api_tokens::with_user_by_hash(state.db(), hash)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    else {
        return Ok(None);
    };
    let expired = token.expired_at.is_some_and(|at| at <= chrono::Utc::now());
    if !token.is_active || token.deleted_at.is_some() || expired {
        return Ok(None);
    }
    let Some(user) = user.filter(|u| u.is_active && u.deleted_at.is_none()) else {
        return Ok(None);
    };
    Ok(Some((
        Caller {
            user,
            via: Via::ApiToken {
                id: token.id,
                is_service: token.is_service,
            },
        },
        token.id,
        token.is_service,
    )))
}

/// `path` with each run of slashes made one.
fn merge_slashes(path: &str) -> String {
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    merged
}

/// The middleware: resolves the caller, enforces CSRF and rate limits, then calls the API.
pub async fn authenticate<E: Endpoint>(next: E, mut req: Request) -> Result<Response> {
    let Some(state) = req.data::<AppState>().cloned() else {
        return Ok(
            ApiError::Internal(anyhow::anyhow!("application state missing")).into_response(),
        );
    };
    // Classified as the router will read it: `NormalizePath` merges repeated slashes, so
    // `/api//instances/…` must not slip past a check made for `/api/instances/…`.
    let path = merge_slashes(req.uri().path());
    let is_v1 = path.starts_with("/api/v1/") || path == "/api/v1";
    let is_auth = path.starts_with("/auth/");
    // The first-run sign-up signs in without a session, like `/auth/`: CSRF-checked too.
    // (Either form of the path: the router takes it with or without the trailing slash.)
    let csrf_without_session =
        is_auth || path.trim_end_matches('/') == "/api/instances/admins/sign-up";
    let settings = state.settings();

    let api_key = req
        .headers()
        .get(API_KEY_HEADER)
        // A value that is not text (bytes above 0x7f) is a key all the same, and no valid one.
        .map(|v| {
            v.to_str()
                .map_or_else(|_| "\u{fffd}".into(), |v| v.trim().to_string())
        })
        // An empty header provides no credentials (Plane's 401), not a wrong token (403).
        .filter(|v| !v.is_empty());
    let mut decision = None;
    let caller = match (&api_key, is_v1) {
        (Some(key), true) => {
            let hash = tokens::looks_like_token(key).then(|| tokens::hash(key));
            let rate_of = |is_service| {
                if is_service {
                    SERVICE_TOKEN_RATE
                } else {
                    settings.api_key_rate_limit
                }
            };
            // A token seen before counts its hit first (see `KnownTokens`): the lookup after it
            // is then answered from memory without a database round trip of its own.
            let known = hash.as_deref().and_then(|h| state.known_tokens().get(h));
            let early_hit = match known {
                Some(token) => Some((
                    token,
                    rate_limit::hit(
                        state.kv(),
                        &format!("api-key:{}", token.id),
                        rate_of(token.is_service),
                    )
                    .await,
                )),
                None => None,
            };
            let found = match &hash {
                Some(hash) => token_caller(&state, hash).await,
                None => Ok(None),
            };
            let (caller, id, is_service) = match found {
                Ok(Some(found)) => found,
                Ok(None) => {
                    if let Some(hash) = &hash {
                        state.known_tokens().forget(hash);
                    }
                    // Guessing keys counts like calling without one: against the address.
                    let ip = client_bucket(&req, &settings.trusted_proxies);
                    let limit = settings.anonymous_rate_limit;
                    return Ok(
                        match rate_limit::hit(state.kv(), &format!("anon:{ip}"), limit).await {
                            Ok(hit) if !hit.allowed => rate_limited(&hit),
                            Ok(_) => ApiError::invalid_token().into_response(),
                            Err(e) => ApiError::Internal(e.into()).into_response(),
                        },
                    );
                }
                Err(e) => return Ok(e.into_response()),
            };
            let this_token = KnownToken { id, is_service };
            let hit = match early_hit {
                Some((guess, hit)) if guess == this_token => hit,
                _ => {
                    let bucket = format!("api-key:{id}");
                    rate_limit::hit(state.kv(), &bucket, rate_of(is_service)).await
                }
            };
            let hit = match hit {
                Ok(hit) => hit,
                Err(e) => return Ok(ApiError::Internal(e.into()).into_response()),
            };
            if let Some(hash) = &hash {
                state.known_tokens().remember(hash, this_token);
            }
            if !hit.allowed {
                return Ok(rate_limited(&hit));
            }
            state.token_usage().record(id);
            decision = Some(hit);
            Some(caller)
        }
        _ => match cookie_value(&req, sessions::COOKIE) {
            Some(cookie) => match session_caller(&state, &cookie).await {
                Ok(caller) => caller,
                Err(e) => return Ok(e.into_response()),
            },
            None => None,
        },
    };

    let cookie_authenticated = matches!(
        caller,
        Some(Caller {
            via: Via::Session(_),
            ..
        })
    );
    if is_unsafe(req.method()) && (cookie_authenticated || csrf_without_session) {
        let instance = state.instance_settings().await.unwrap_or_default();
        if let Some(refusal) = check_csrf(&req, &state.public_url(&instance)) {
            return Ok(refusal);
        }
    }

    let limited_path = path.starts_with("/api/") || is_auth;
    if caller.is_none() && limited_path {
        let ip = client_bucket(&req, &settings.trusted_proxies);
        match rate_limit::hit(
            state.kv(),
            &format!("anon:{ip}"),
            settings.anonymous_rate_limit,
        )
        .await
        {
            Ok(hit) if !hit.allowed => return Ok(rate_limited(&hit)),
            Ok(_) => {}
            Err(e) => return Ok(ApiError::Internal(e.into()).into_response()),
        }
        if is_v1 {
            return Ok(ApiError::unauthenticated().into_response());
        }
    }

    // A sliding session whose expiry this request pushed out: the cookie's lifetime follows.
    let extended = matches!(
        &caller,
        Some(Caller {
            via: Via::Session(session),
            ..
        }) if session.extended
    );
    let renewed_cookie = match extended.then(|| cookie_value(&req, sessions::COOKIE)) {
        Some(Some(value)) => Some(super::auth::session_cookie(
            &value,
            super::auth::secure_cookies(&state, &req).await,
        )),
        _ => None,
    };
    if let Some(refusal) = super::nul_guard::refuse_nul_characters(&mut req, !is_v1).await {
        return Ok(refusal);
    }
    let logged = caller.as_ref().map(|c| LoggedUser(c.user.id.to_string()));
    req.extensions_mut().insert(CallerSlot(caller));
    let mut resp = next.get_response(req).await;
    if let Some(decision) = decision {
        add_rate_headers(&mut resp, &decision);
    }
    if let Some(cookie) = renewed_cookie {
        renew_session_cookie(&mut resp, &cookie);
    }
    if let Some(user) = logged {
        resp.extensions_mut().insert(user);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop_behind_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // An untrusted peer's header is ignored.
        assert_eq!(
            behind_proxies(ip("203.0.113.9"), "198.51.100.1", &trusted),
            ip("203.0.113.9")
        );
        // Behind two trusted proxies, the client is the hop before them; a forged first hop
        // the client added itself is never reached.
        assert_eq!(
            behind_proxies(ip("10.0.0.2"), "1.2.3.4, 198.51.100.7, 10.0.0.1", &trusted),
            ip("198.51.100.7")
        );
        // An IPv4 proxy seen by a `[::]` listener is still the trusted IPv4 proxy.
        assert_eq!(
            behind_proxies(ip("::ffff:10.0.0.2"), "198.51.100.7", &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            behind_proxies(ip("10.0.0.2"), "::ffff:198.51.100.7", &trusted),
            ip("198.51.100.7")
        );
        // Proxies listed in the IPv4-mapped form still match.
        let mapped: Vec<ipnet::IpNet> = vec!["::ffff:10.0.0.0/104".parse().unwrap()];
        assert_eq!(
            behind_proxies(ip("::ffff:10.0.0.2"), "198.51.100.7", &mapped),
            ip("198.51.100.7")
        );
        // A hop with its port is read; one that is no address stops the walk at the proxy
        // that wrote it, so the client's own hops beyond it are never reached.
        assert_eq!(
            behind_proxies(ip("10.0.0.2"), "1.2.3.4, 198.51.100.7:5678", &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            behind_proxies(ip("10.0.0.2"), "1.2.3.4, unknown, 10.0.0.1", &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(behind_proxies(ip("10.0.0.2"), "", &trusted), ip("10.0.0.2"));
        // Only trusted hops: the farthest of them is where the request came from.
        assert_eq!(
            behind_proxies(ip("10.0.0.2"), "10.0.0.7, 10.0.0.1", &trusted),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn paths_are_classified_with_their_slashes_merged() {
        assert_eq!(
            merge_slashes("/api//instances///admins/sign-up/"),
            "/api/instances/admins/sign-up/"
        );
        assert_eq!(merge_slashes("//api/v1/"), "/api/v1/");
        assert_eq!(merge_slashes("/"), "/");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        assert_eq!(
            bucket_of(Some(ip("2001:db8:1:2:aaaa::1"))),
            bucket_of(Some(ip("2001:db8:1:2:bbbb::9")))
        );
        assert_eq!(bucket_of(Some(ip("2001:db8:1:2::1"))), "2001:db8:1:2::/64");
        assert_ne!(
            bucket_of(Some(ip("2001:db8:1:2::1"))),
            bucket_of(Some(ip("2001:db8:1:3::1")))
        );
        assert_eq!(bucket_of(Some(ip("203.0.113.9"))), "203.0.113.9");
        assert_eq!(bucket_of(None), "unknown");
    }
}
