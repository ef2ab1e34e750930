//! The one HTTP client of provider sign-in: what the `oauth2` and `openidconnect` crates send
//! through, and what reads the providers' user APIs.

use std::{future::Future, pin::Pin, time::Duration};

use super::OAuthError;

/// The HTTP client the OAuth crates use: our reqwest, never following redirects (SSRF). When
/// it cannot be built, provider sign-ins fail with [`OAuthError::Unavailable`]; there is no
/// fallback to a client that would follow redirects.
#[derive(Clone)]
pub struct HttpClient(Result<reqwest::Client, String>);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl HttpClient {
    pub fn new() -> HttpClient {
        let built = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("plane-aio/", env!("CARGO_PKG_VERSION")))
            .build();
        match built {
            Ok(client) => HttpClient(Ok(client)),
            Err(e) => HttpClient::unavailable(&e.to_string()),
        }
    }

    /// A client that could not be built: every use fails with `reason`.
    pub fn unavailable(reason: &str) -> HttpClient {
        tracing::error!(
            error = reason,
            "the HTTP client for sign-in providers cannot be set up; provider sign-in is unavailable"
        );
        HttpClient(Err(reason.to_string()))
    }

    pub(super) fn client(&self) -> Result<&reqwest::Client, OAuthError> {
        self.0
            .as_ref()
            .map_err(|reason| OAuthError::Unavailable(reason.clone()))
    }

    pub(super) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        token: &str,
    ) -> Result<T, OAuthError> {
        let response = self
            .client()?
            .get(url)
            .bearer_auth(token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| OAuthError::Profile(e.to_string()))?;
        if !response.status().is_success() {
            return Err(OAuthError::Profile(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| OAuthError::Profile(e.to_string()))
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new()
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let client = self.client().map_err(|e| HttpError(e.to_string()))?;
            let mut builder = client
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in parts.headers.iter() {
                builder = builder.header(name, value);
            }
            let response = builder.send().await.map_err(|e| HttpError(e.to_string()))?;
            let mut out = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            out.body(body.to_vec())
                .map_err(|e| HttpError(e.to_string()))
        })
    }
}
