//! A sign-in provider served by the test on 127.0.0.1: GitHub (Enterprise-style paths), GitLab
//! and Gitea user APIs (with their lists of addresses), and an OpenID Connect provider with
//! discovery, JWKS and ES256-signed ID tokens. It checks PKCE and the client's credentials like
//! the real ones.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use poem::{
    EndpointExt, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::TcpAcceptor,
    web::{Data, Form, Query},
};
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "plane-test-client";
pub const CLIENT_SECRET: &str = "plane-test-secret";

/// Who the provider says signs in.
#[derive(Clone, Debug)]
pub struct FakeUser {
    pub id: String,
    pub login: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
}

struct Pending {
    challenge: String,
    nonce: Option<String>,
    redirect_uri: String,
}

struct State {
    base: String,
    /// The OpenID issuer it names: `base`, or `base/` as Auth0 and Authentik write theirs.
    issuer: String,
    user: FakeUser,
    codes: HashMap<String, Pending>,
    tokens: HashMap<String, FakeUser>,
    key: EcdsaKeyPair,
    /// Signs ID tokens with a key the JWKS does not publish (to test rejection).
    forge_signature: bool,
    /// Leaves the address out of ID tokens: only the userinfo endpoint gives it.
    email_in_userinfo_only: bool,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

fn new_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

impl FakeProvider {
    pub async fn start(user: FakeUser) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://127.0.0.1:{}", addr.port());
        let state = Arc::new(Mutex::new(State {
            base: base.clone(),
            issuer: base.clone(),
            user,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            key: new_key(),
            forge_signature: false,
            email_in_userinfo_only: false,
        }));
        let app = Route::new()
            .at("/login/oauth/authorize", authorize)
            .at("/oauth/authorize", authorize)
            .at("/authorize", authorize)
            .at("/login/oauth/access_token", token)
            .at("/oauth/token", token)
            .at("/token", token)
            .at("/api/v3/user", github_user)
            .at("/api/v3/user/emails", github_emails)
            .at("/api/v4/user", gitlab_user)
            .at("/api/v1/user", gitea_user)
            .at("/api/v1/user/emails", gitea_emails)
            .at("/.well-known/openid-configuration", discovery)
            .at("/jwks", jwks)
            .at("/userinfo", userinfo)
            .data(state.clone());
        let task = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap())
                .run(app)
                .await;
        });
        FakeProvider {
            base,
            state,
            task: Arc::new(task),
        }
    }

    pub fn set_user(&self, user: FakeUser) {
        self.state.lock().unwrap().user = user;
    }

    /// Names itself with a trailing slash from now on; returns that issuer.
    pub fn issue_with_trailing_slash(&self) -> String {
        let mut state = self.state.lock().unwrap();
        state.issuer = format!("{}/", state.base);
        state.issuer.clone()
    }

    pub fn forge_signatures(&self) {
        self.state.lock().unwrap().forge_signature = true;
    }

    /// Gives the address only at the userinfo endpoint from now on, as Authelia does.
    pub fn keep_email_out_of_id_tokens(&self) {
        self.state.lock().unwrap().email_in_userinfo_only = true;
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    nonce: Option<String>,
}

/// Signs the user in at once and sends the browser back with a code.
#[handler]
fn authorize(Query(q): Query<AuthorizeQuery>, state: Data<&Arc<Mutex<State>>>) -> Response {
    if q.client_id != CLIENT_ID || q.code_challenge_method != "S256" {
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body("bad client or PKCE method");
    }
    let code = uuid::Uuid::new_v4().simple().to_string();
    state.lock().unwrap().codes.insert(
        code.clone(),
        Pending {
            challenge: q.code_challenge,
            nonce: q.nonce,
            redirect_uri: q.redirect_uri.clone(),
        },
    );
    let separator = if q.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    Response::builder()
        .status(StatusCode::FOUND)
        .header(
            "location",
            format!("{}{separator}code={code}&state={}", q.redirect_uri, q.state),
        )
        .finish()
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    redirect_uri: String,
    code_verifier: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn client_authenticated(req: &Request, form: &TokenForm) -> bool {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    basic.as_deref() == Some(&format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        || (form.client_id.as_deref() == Some(CLIENT_ID)
            && form.client_secret.as_deref() == Some(CLIENT_SECRET))
}

fn sign(key: &EcdsaKeyPair, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD
        .encode(json!({"alg": "ES256", "typ": "JWT", "kid": "test-key"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let signature = key.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

#[handler]
fn token(req: &Request, Form(form): Form<TokenForm>, state: Data<&Arc<Mutex<State>>>) -> Response {
    let mut state = state.lock().unwrap();
    let error = |msg: &str| {
        Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .content_type("application/json")
            .body(json!({"error": "invalid_grant", "error_description": msg}).to_string())
    };
    if !client_authenticated(req, &form) {
        return error("client authentication failed");
    }
    let Some(pending) = state.codes.remove(&form.code) else {
        return error("unknown code");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    if challenge != pending.challenge || form.redirect_uri != pending.redirect_uri {
        return error("PKCE or redirect_uri mismatch");
    }
    let access = uuid::Uuid::new_v4().simple().to_string();
    let user = state.user.clone();
    state.tokens.insert(access.clone(), user.clone());
    let mut body = json!({"access_token": access, "token_type": "bearer", "expires_in": 3600});
    if let Some(nonce) = pending.nonce {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": state.issuer, "sub": user.id, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "nonce": nonce, "email": user.email, "email_verified": user.email_verified,
            "name": user.name, "given_name": user.name.split(' ').next().unwrap_or(""),
            "family_name": user.name.split(' ').nth(1).unwrap_or(""),
        });
        if state.email_in_userinfo_only {
            let claims = claims.as_object_mut().unwrap();
            claims.remove("email");
            claims.remove("email_verified");
        }
        let id_token = if state.forge_signature {
            sign(&new_key(), &claims)
        } else {
            sign(&state.key, &claims)
        };
        body["id_token"] = json!(id_token);
    }
    Response::builder()
        .content_type("application/json")
        .body(body.to_string())
}

fn bearer_user(req: &Request, state: &Arc<Mutex<State>>) -> Option<FakeUser> {
    let access = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .to_string();
    state.lock().unwrap().tokens.get(&access).cloned()
}

fn json_response(value: Value) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(value.to_string())
}

fn unauthorized() -> Response {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .finish()
}

#[handler]
fn github_user(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(
            json!({"id": u.id.parse::<i64>().unwrap_or(1), "login": u.login, "name": u.name, "email": null, "avatar_url": "https://avatars.example/u.png"}),
        ),
        None => unauthorized(),
    }
}

#[handler]
fn github_emails(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(
            json!([{"email": u.email, "primary": true, "verified": u.email_verified}]),
        ),
        None => unauthorized(),
    }
}

#[handler]
fn gitlab_user(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(json!({
            "id": u.id.parse::<i64>().unwrap_or(1), "username": u.login, "name": u.name, "email": u.email,
            "confirmed_at": if u.email_verified { json!("2024-01-01T00:00:00Z") } else { Value::Null },
        })),
        None => unauthorized(),
    }
}

#[handler]
fn gitea_user(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(
            json!({"id": u.id.parse::<i64>().unwrap_or(1), "login": u.login, "full_name": u.name, "email": u.email}),
        ),
        None => unauthorized(),
    }
}

/// Gitea lists every address with whether it is confirmed; `/api/v1/user` shows the primary one
/// confirmed or not.
#[handler]
fn gitea_emails(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(json!([
            {"email": u.email, "verified": u.email_verified, "primary": true},
            {"email": format!("{}@noreply.gitea.example", u.login), "verified": false, "primary": false},
        ])),
        None => unauthorized(),
    }
}

#[handler]
fn discovery(state: Data<&Arc<Mutex<State>>>) -> Response {
    let (base, issuer) = {
        let state = state.lock().unwrap();
        (state.base.clone(), state.issuer.clone())
    };
    json_response(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

#[handler]
fn userinfo(req: &Request, state: Data<&Arc<Mutex<State>>>) -> Response {
    match bearer_user(req, &state) {
        Some(u) => json_response(json!({
            "sub": u.id, "email": u.email, "email_verified": u.email_verified, "name": u.name,
        })),
        None => unauthorized(),
    }
}

#[handler]
fn jwks(state: Data<&Arc<Mutex<State>>>) -> Response {
    let state = state.lock().unwrap();
    let point = state.key.public_key().as_ref().to_vec();
    json_response(json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "test-key", "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]}))
}
