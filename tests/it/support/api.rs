//! A client of the public API as Plane's SDKs use it: `X-Api-Key`, JSON, trailing slashes.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use super::{PASSWORD, TestApp};

#[derive(Clone)]
pub struct ApiClient {
    client: Client,
    base: String,
    pub token: String,
    /// The user the token belongs to.
    pub user_id: String,
    pub email: String,
}

/// An answer: status, `Content-Type`, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Reads a response whole: status, content type, text and (when JSON) body.
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        Answer {
            status,
            content_type,
            body,
            text,
        }
    }

    /// Panics with the body unless the status is `expected`.
    pub fn expect(self, expected: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }
}

impl ApiClient {
    /// A client of the server at `base` with `token` (empty: no credentials), for servers the
    /// test runs as processes.
    pub fn new(base: &str, token: &str) -> ApiClient {
        ApiClient {
            client: super::client(),
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            user_id: String::new(),
            email: String::new(),
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        // An empty token stands for a caller without credentials.
        if !self.token.is_empty() {
            request = request.header("X-Api-Key", &self.token);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        Answer::read(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    /// The same user with another token (or none: an empty token sends no `X-Api-Key`).
    pub fn with_token(&self, token: &str) -> ApiClient {
        ApiClient {
            token: token.to_string(),
            ..self.clone()
        }
    }
}

impl TestApp {
    /// A user (created as the admin CLI does) with an API token.
    pub async fn api_user(&self, email: &str) -> ApiClient {
        let db = self.state.db();
        let user = match plane_aio::db::users::by_email(db, email).await.unwrap() {
            Some(user) => user,
            None => plane_aio::domain::accounts::create_user(
                db,
                email,
                PASSWORD,
                &plane_aio::domain::accounts::Names::new(
                    email.split('@').next().unwrap_or("someone"),
                    "Tester",
                ),
                false,
            )
            .await
            .expect("create user"),
        };
        let token = plane_aio::domain::tokens::generate();
        plane_aio::db::api_tokens::create(
            db,
            plane_aio::db::api_tokens::NewToken {
                user_id: user.id,
                label: "tests",
                description: "",
                hash: &token.hash,
                hint: &token.hint,
                expires_at: None,
                is_service: false,
            },
        )
        .await
        .expect("create token");
        ApiClient {
            client: super::client(),
            base: self.url("/api/v1"),
            token: token.token,
            user_id: user.id.to_string(),
            email: user.email,
        }
    }

    /// A workspace owned by `owner`.
    pub async fn workspace(&self, owner: &ApiClient, slug: &str) -> Value {
        owner
            .post(
                "/workspaces/",
                serde_json::json!({"name": format!("Workspace {slug}"), "slug": slug}),
            )
            .await
            .expect(201)
    }

    /// Makes `user` a member of workspace `slug` with `role`, as an accepted invitation would.
    pub async fn add_member(&self, slug: &str, user: &ApiClient, role: i16) {
        let db = self.state.db();
        let workspace = plane_aio::db::workspaces::by_slug(db, slug)
            .await
            .unwrap()
            .expect("workspace");
        plane_aio::db::workspace_members::join(
            &db.conn,
            workspace.id,
            user.user_id.parse().unwrap(),
            role,
            None,
            plane_aio::db::now(),
        )
        .await
        .expect("join workspace");
    }

    /// A project in workspace `slug`, created by `creator`.
    pub async fn project(&self, creator: &ApiClient, slug: &str, identifier: &str) -> Value {
        creator
            .post(
                &format!("/workspaces/{slug}/projects/"),
                serde_json::json!({"name": format!("Project {identifier}"), "identifier": identifier}),
            )
            .await
            .expect(201)
    }
    /// A work item in `project` (its JSON) and state, written straight to the database: the
    /// work-item API comes with its own issue, while rules that look at work items (a state in
    /// use cannot be deleted, the soft-delete cascades) are here already.
    pub async fn work_item(&self, project: &Value, state_id: &str) -> uuid::Uuid {
        use sea_orm::{
            ConnectionTrait,
            sea_query::{Alias, Query},
        };
        let id = uuid::Uuid::now_v7();
        let uuid_of = |v: &Value| -> uuid::Uuid { v.as_str().unwrap().parse().unwrap() };
        let now = plane_aio::db::now();
        let insert = Query::insert()
            .into_table(Alias::new("issues"))
            .columns(
                ["id", "workspace_id", "project_id", "state_id", "name"]
                    .into_iter()
                    .chain(["sequence_id", "created_at", "updated_at"])
                    .map(Alias::new),
            )
            .values_panic([
                id.into(),
                uuid_of(&project["workspace"]).into(),
                uuid_of(&project["id"]).into(),
                state_id.parse::<uuid::Uuid>().unwrap().into(),
                "A work item".into(),
                1.into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        self.state
            .db()
            .conn
            .execute(&insert)
            .await
            .expect("insert a work item");
        id
    }

    /// Soft-deletes a work item [`Self::work_item`] wrote.
    pub async fn delete_work_item(&self, id: uuid::Uuid) {
        use sea_orm::{
            ConnectionTrait,
            sea_query::{Alias, Expr, ExprTrait, Query},
        };
        let update = Query::update()
            .table(Alias::new("issues"))
            .value(Alias::new("deleted_at"), plane_aio::db::now())
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned();
        self.state
            .db()
            .conn
            .execute(&update)
            .await
            .expect("delete a work item");
    }
}

/// An answer read off the wire: the status and the raw text after the status line.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub text: String,
}

/// A GET sent as raw HTTP/1.1 over TCP, header names exactly as given (HTTP clients normalise
/// them to lower case, which would hide how the server matches them).
pub async fn raw_get(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 answer: {text}"));
    RawAnswer { status, text }
}
