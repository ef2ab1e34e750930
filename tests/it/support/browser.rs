//! A client that behaves like the web UI: keeps cookies, and sends the CSRF token from the
//! `csrftoken` cookie in `X-CSRFToken` on unsafe requests.

use std::sync::Arc;

use reqwest::{Client, ClientBuilder, Response, cookie::CookieStore};
use serde_json::Value;

pub struct Browser {
    pub client: Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser::with(base, |builder| builder)
    }

    /// A browser for an HTTPS server whose certificate `root_pem` issued for `name`, reached
    /// at `addr`.
    pub fn over_https(root_pem: &str, name: &str, addr: std::net::SocketAddr) -> Browser {
        let root = reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap();
        Browser::with(&format!("https://{name}:{}", addr.port()), |builder| {
            builder.add_root_certificate(root).resolve(name, addr)
        })
    }

    fn with(base: &str, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Browser {
        plane_aio::app::install_crypto_provider();
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = configure(
            Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30)),
        )
        .build()
        .unwrap();
        Browser {
            client,
            jar,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The signed-in user's id, read off the session cookie (`<user id>.<secret>`).
    pub fn user_id(&self) -> uuid::Uuid {
        let cookie = self.cookie("session-id").expect("signed in");
        uuid::Uuid::parse_str(cookie.split('.').next().unwrap()).unwrap()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.base).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// The CSRF token, fetched once from the server like the UI does.
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.cookie("csrftoken") {
            return token;
        }
        let body: Value = self
            .client
            .get(self.url("/auth/get-csrf-token/"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["csrf_token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let token = self.csrf().await;
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("x-csrftoken", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// The first-run sign-up of the instance admin (`ADMIN_EMAIL`, `PASSWORD`).
    pub async fn set_up_instance(&self) -> Response {
        self.post(
            "/api/instances/admins/sign-up/",
            serde_json::json!({"email": super::ADMIN_EMAIL, "password": super::PASSWORD, "first_name": "Ada", "last_name": "Admin"}),
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/auth/sign-in/",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }
}
