//! The HTTP surface every request meets: health, readiness, errors, headers, compression,
//! CORS, body limit, the OpenAPI document and the embedded web UI.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(
    readiness_reports_every_part_and_the_version,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let resp = app.get("/readyz").await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["failing"], json!([]));
        for part in ["database", "kv", "storage", "queue"] {
            assert_eq!(body["checks"][part]["status"], "ok", "{part}: {body}");
        }
        let health: Value = app.get("/healthz").await.json().await.unwrap();
        assert_eq!(health, json!({"status": "ok"}));
        app.stop().await.unwrap();
    }
);

on_both_engines!(
    a_burst_of_probes_shares_one_check,
    |engine: Engine| async move {
        // Probes are anonymous and unthrottled, and a check writes: a burst must not multiply it.
        let app = TestApp::spawn(engine).await;
        let probes = (0..16).map(|_| async {
            let body: Value = app.get("/readyz").await.json().await.unwrap();
            body["checked_at"].as_str().unwrap().to_string()
        });
        let checked_at = futures_util::future::join_all(probes).await;
        let checks: std::collections::HashSet<_> = checked_at.iter().collect();
        // One check, or two should the burst straddle the end of a check's second.
        assert!(checks.len() <= 2, "{checked_at:?}");
        app.stop().await.unwrap();
    }
);

on_both_engines!(
    readiness_names_the_failing_part,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        // Put a file where the uploads folder should be: storage can no longer be listed.
        let uploads = app.data_dir.path().join("uploads");
        std::fs::remove_dir_all(&uploads).unwrap();
        std::fs::write(&uploads, b"not a folder").unwrap();
        let resp = app.get("/readyz").await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["failing"], json!(["storage"]));
        assert_eq!(body["checks"]["storage"]["status"], "error");
        assert_eq!(body["checks"]["database"]["status"], "ok");
        assert!(
            body["detail"].as_str().unwrap().contains("storage"),
            "{body}"
        );
    }
);

on_both_engines!(
    readiness_names_a_failing_database,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        match &app.pg {
            // Open connections keep answering from a removed SQLite file: readiness looks at
            // the file itself.
            None => std::fs::remove_file(app.data_dir.path().join("plane.db")).unwrap(),
            Some(pg) => pg.refuse_connections().await,
        }
        let resp = app.get("/readyz").await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["checks"]["database"]["status"], "error", "{body}");
        assert!(
            body["failing"]
                .as_array()
                .unwrap()
                .contains(&json!("database")),
            "{body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains("database"),
            "{body}"
        );
        if engine == Engine::Sqlite {
            // Only the database: the queue and key-value store have files of their own.
            assert_eq!(body["failing"], json!(["database"]), "{body}");
            // What the log says: the cause.
            let readiness = app.state.readiness().await;
            let cause = readiness.checks["database"].error.clone().unwrap();
            assert!(
                cause.contains("plane.db") && cause.contains("removed"),
                "{cause}"
            );
        }
        // The cause (a path, a host) goes to the log, not to an anonymous caller.
        let error = body["checks"]["database"]["error"].as_str().unwrap();
        assert!(error.contains("server log"), "{error}");
        let data_dir = app.data_dir.path().display().to_string();
        assert!(
            !body.to_string().contains(&data_dir) && !body.to_string().contains("127.0.0.1"),
            "{body}"
        );
    }
);

#[tokio::test]
async fn api_requests_without_credentials_get_planes_401_and_bad_keys_403() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app.get("/api/v1/users/me/").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
    assert!(resp.headers().get(header::WWW_AUTHENTICATE).is_none());
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"detail": "Authentication credentials were not provided."})
    );

    // The key is read whatever the case of the header's name on the wire (a key not read
    // would be a 401).
    for header_name in ["X-API-KEY", "x-api-key", "X-Api-Key"] {
        let raw = crate::support::api::raw_get(
            app.addr,
            "/api/v1/workspaces/acme/projects/",
            &[(header_name, "plane_api_0123456789abcdef0123456789abcdef")],
        )
        .await;
        assert_eq!(raw.status, 403, "{header_name}: {}", raw.text);
        assert!(
            raw.text
                .contains(r#"{"detail":"Given API token is not valid"}"#),
            "{header_name}: {}",
            raw.text
        );
    }
    // A key that is not ASCII text is a key, and not a valid one.
    let raw = crate::support::api::raw_get(
        app.addr,
        "/api/v1/users/me/",
        &[("X-Api-Key", "plane_api_clé")],
    )
    .await;
    assert_eq!(raw.status, 403, "{}", raw.text);
    let resp = app
        .client
        .get(app.url("/api/v1/workspaces/acme/projects/"))
        .header("X-Api-Key", "plane_api_0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"detail": "Given API token is not valid"})
    );
    // Authentication comes before body parsing, as in Plane.
    let resp = app
        .client
        .post(app.url("/api/v1/workspaces/acme/projects/"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_api_paths_get_planes_404_body() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app.get("/api/nothing-here/").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "Page not found."})
    );
}

#[tokio::test]
async fn oversized_bodies_get_planes_413_whether_declared_or_streamed() {
    let app = TestApp::spawn_with(Engine::Sqlite, &[("file_size_limit", "1KiB")]).await;
    let expected = json!({
        "error": "REQUEST_BODY_TOO_LARGE",
        "detail": "The size of the request body exceeds the maximum allowed size."
    });
    let resp = app
        .client
        .post(app.url("/api/v1/users/me/"))
        .header("x-api-key", "whatever")
        .body(vec![b'x'; 2048])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.json::<Value>().await.unwrap(), expected);

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..4).map(|_| Ok(vec![b'y'; 512])).collect();
    let resp = app
        .client
        .put(app.url("/api/storage/some/key?expires=1&signature=00"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.json::<Value>().await.unwrap(), expected);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app.get("/healthz").await;
    let h = resp.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    let generated = h["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");

    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "lb-trace-42");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for (accept, expected) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("gzip, br", Some("br")),
        ("identity", None),
    ] {
        let resp = app
            .client
            .get(app.url("/api/schema/"))
            .header(header::ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            expected,
            "{accept}"
        );
        let body = resp.bytes().await.unwrap();
        let text = match expected {
            Some("gzip") => {
                let mut out = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&body[..]),
                    &mut out,
                )
                .unwrap();
                out
            }
            Some("br") => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &body[..], &mut out).unwrap();
                String::from_utf8(out).unwrap()
            }
            _ => String::from_utf8(body.to_vec()).unwrap(),
        };
        let spec: Value = serde_json::from_str(&text).unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    }
    // Bodies without content are left alone.
    let resp = app
        .client
        .head(app.url("/healthz"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn cors_is_off_by_default_and_follows_the_allowed_origins() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    app.stop().await.unwrap();

    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[("cors_allowed_origins", "https://app.example.com")],
    )
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/users/me/"))
        .header(header::ORIGIN, "https://app.example.com")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "x-api-key")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    let allowed = preflight.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("x-api-key"), "{allowed}");
    let other = app
        .client
        .get(app.url("/healthz"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_ne!(
        other
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap()),
        Some("https://evil.example")
    );
    // Refused in JSON, as every other refusal.
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(
        other.json::<Value>().await.unwrap().is_object(),
        "a JSON body"
    );
    // The instance's own origin is never refused: browsers send it on the UI's own writes.
    let own_origin = app
        .state
        .settings()
        .public_url
        .origin()
        .ascii_serialization();
    let own = app
        .client
        .post(app.url("/api/v1/workspaces/"))
        .header(header::ORIGIN, &own_origin)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::UNAUTHORIZED, "{own_origin}");
}

#[tokio::test]
async fn the_openapi_document_and_its_viewers_are_served() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for path in ["/api/schema/", "/api/schema"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let spec: Value = resp.json().await.unwrap();
        assert!(spec["paths"]["/readyz"]["get"].is_object(), "{spec}");
        assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
    }
    for path in ["/api/schema/swagger-ui/", "/api/schema/redoc/"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(
            resp.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(resp.text().await.unwrap().contains("<html"), "{path}");
    }
}

#[tokio::test]
async fn the_web_ui_is_a_single_page_app_with_sane_caching() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let index = app.get("/").await;
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(
        index.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let etag = index.headers()[header::ETAG].to_str().unwrap().to_string();
    let html = index.text().await.unwrap();
    assert!(html.contains("<title>Plane</title>"), "{html}");

    // Client-side routes fall back to index.html.
    let deep = app.get("/acme/projects/123/issues").await;
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.text().await.unwrap(), html);
    // A build asset that does not exist is not answered with the page.
    let gone = app.get("/assets/index-00000000.js").await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // Hashed assets are immutable; their brotli twin is served when accepted.
    let asset = html
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("index.html references a hashed script")
        .to_string();
    let plain = app.get(&asset).await;
    assert_eq!(
        plain.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        plain.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let plain_len = plain.bytes().await.unwrap().len();
    let br = app
        .client
        .get(app.url(&asset))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert!(br.bytes().await.unwrap().len() < plain_len);

    // Revalidation and HEAD.
    let cached = app
        .client
        .get(app.url("/"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let head = app.client.head(app.url(&asset)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()[header::CONTENT_LENGTH].to_str().unwrap(),
        plain_len.to_string()
    );
    assert!(head.bytes().await.unwrap().is_empty());

    let post = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn readme_configuration_table_matches_the_key_table() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = plane_aio::config::keys::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's configuration table is out of date; replace it with:\n\n{table}"
    );
}
