//! HTTPS from certificate files (HTTP/2, HSTS, the HTTP→HTTPS redirect) and from ACME against
//! Debian's pebble on loopback (TLS-ALPN-01 and HTTP-01, and the cached certificate reused
//! after a restart).

use std::{net::SocketAddr, path::Path, process::Child, time::Duration};

use reqwest::{StatusCode, Version, header};
use serde_json::json;

use crate::support::{
    ADMIN_EMAIL, Engine, PASSWORD, TestApp, browser::Browser, eventually, pki::pki,
    process::Server, tools,
};

fn https_client(root_pem: &str, name: &str, addr: SocketAddr) -> reqwest::Client {
    plane_aio::app::install_crypto_provider();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap())
        .resolve(name, addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_from_files_speaks_http2_and_plain_http_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(&["localhost", "127.0.0.1"]);
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("tls_cert", cert.to_str().unwrap()),
            ("tls_key", key.to_str().unwrap()),
            ("http_listen", "127.0.0.1:0"),
            ("file_size_limit", "1KiB"),
        ],
    )
    .await;
    let client = https_client(&pki.ca_pem, "localhost", app.addr);
    let resp = client
        .get(format!("https://localhost:{}/readyz", app.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_2, "ALPN negotiates HTTP/2");

    // An HTTP/2 body has no Content-Length and no Transfer-Encoding when streamed: the body
    // limit holds all the same, for a route that takes bodies without credentials too.
    for (method, path) in [
        (
            reqwest::Method::PUT,
            "/api/storage/some/key?expires=1&signature=00",
        ),
        (reqwest::Method::POST, "/auth/sign-in/"),
    ] {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..4).map(|_| Ok(vec![b'y'; 512])).collect();
        let resp = client
            .request(
                method,
                format!("https://localhost:{}{path}", app.addr.port()),
            )
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.version(), Version::HTTP_2);
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(
            resp.json::<serde_json::Value>().await.unwrap(),
            json!({
                "error": "REQUEST_BODY_TOO_LARGE",
                "detail": "The size of the request body exceeds the maximum allowed size."
            })
        );
    }
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let http1 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .resolve("localhost", app.addr)
        .http1_only()
        .build()
        .unwrap();
    let resp = http1
        .get(format!("https://localhost:{}/healthz", app.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (resp.status(), resp.version()),
        (StatusCode::OK, Version::HTTP_11)
    );

    let http_addr = app.http_addr.expect("redirect listener");
    let resp = app
        .client
        .get(format!("http://{http_addr}/acme/projects?tab=board"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        resp.headers()[header::LOCATION],
        format!(
            "https://127.0.0.1:{}/acme/projects?tab=board",
            app.addr.port()
        )
        .as_str()
    );
    // Plain HTTP on the HTTPS port is not served.
    assert!(app.client.get(app.url("/healthz")).send().await.is_err());

    // Over HTTPS the session and CSRF cookies are Secure, and the UI's flow works as on HTTP.
    let browser = Browser::over_https(&pki.ca_pem, "localhost", app.addr);
    let resp = browser.set_up_instance().await;
    assert_eq!(resp.status(), StatusCode::OK);
    for name in ["session-id", "csrftoken"] {
        let cookie = set_cookie(&resp, name);
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let me = browser.get("/api/users/me/").await;
    assert_eq!(me.status(), StatusCode::OK);

    // The public URL the admin sets in the instance settings is where plain HTTP sends users.
    let resp = browser
        .patch(
            "/api/instances/configurations/",
            json!({"PUBLIC_URL": "https://plane.example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client
        .get(format!("http://{http_addr}/acme/projects?tab=board"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()[header::LOCATION],
        "https://plane.example.com/acme/projects?tab=board"
    );
}

/// Behind a proxy that terminates TLS the server itself speaks plain HTTP; the HTTPS public
/// URL is what tells it that browsers are on HTTPS, so its cookies are Secure all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_tls_proxy_the_cookies_are_secure() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[("public_url", "https://plane.example.com")],
    )
    .await;
    let resp = app.browser().set_up_instance().await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = set_cookie(&resp, "session-id");
    assert!(session.contains("; Secure"), "{session}");
}

/// The public URL set by the admin in the instance settings (no `public_url` key) counts alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_public_url_from_the_instance_settings_makes_cookies_secure() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.browser();
    let resp = admin.set_up_instance().await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = set_cookie(&resp, "session-id");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");

    let resp = admin
        .patch(
            "/api/instances/configurations/",
            json!({"PUBLIC_URL": "https://plane.example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.browser().sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = set_cookie(&resp, "session-id");
    assert!(session.contains("; Secure"), "{session}");
}

/// The `Set-Cookie` line of the cookie `name`.
fn set_cookie(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// pebble (an ACME CA) and its fake DNS, on loopback, validating against our ports.
struct Pebble {
    children: Vec<Child>,
    directory: String,
    management: u16,
    ca_pem: String,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Pebble {
    async fn start(dir: &Path, http_port: u16, tls_port: u16) -> Option<Pebble> {
        let pebble = tools::require("pebble", "apt-get install pebble")?;
        let challtestsrv = tools::require("pebble-challtestsrv", "apt-get install pebble")?;
        let pki = pki(&["localhost", "127.0.0.1"]);
        std::fs::write(dir.join("pebble-cert.pem"), &pki.cert_pem).unwrap();
        std::fs::write(dir.join("pebble-key.pem"), &pki.key_pem).unwrap();
        let (api, management, dns, dns_mgmt) = (
            tools::free_port(),
            tools::free_port(),
            tools::free_port(),
            tools::free_port(),
        );
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{api}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": "pebble-cert.pem", "privateKey": "pebble-key.pem",
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": false
        }});
        std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
        let quiet = || std::process::Stdio::null();
        let dns_server = std::process::Command::new(challtestsrv)
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args([
                "-dns01",
                &format!("127.0.0.1:{dns}"),
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
            ])
            .args(["-management", &format!("127.0.0.1:{dns_mgmt}")])
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .unwrap();
        let ca = std::process::Command::new(pebble)
            .args([
                "-config",
                "pebble.json",
                "-dnsserver",
                &format!("127.0.0.1:{dns}"),
            ])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .current_dir(dir)
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .unwrap();
        let server = Pebble {
            children: vec![dns_server, ca],
            directory: format!("https://127.0.0.1:{api}/dir"),
            management,
            ca_pem: pki.ca_pem,
        };
        eventually(Duration::from_secs(20), "pebble to listen", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", api))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        Some(server)
    }

    /// The root that signs the certificates pebble issues (new at every pebble start).
    async fn issuing_root(&self) -> String {
        let client = https_client(
            &self.ca_pem,
            "localhost",
            ([127, 0, 0, 1], self.management).into(),
        );
        client
            .get(format!("https://localhost:{}/roots/0", self.management))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

async fn wait_for_event(server: &Server, event: &str) {
    eventually(Duration::from_secs(45), event, || async {
        server
            .events("acme")
            .iter()
            .any(|e| e["event"].as_str().is_some_and(|v| v.contains(event)))
            .then_some(())
    })
    .await;
}

async fn acme_round_trip(challenge: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (http_port, tls_port) = (tools::free_port(), tools::free_port());
    let Some(pebble) = Pebble::start(dir.path(), http_port, tls_port).await else {
        return;
    };
    std::fs::write(dir.path().join("pebble-ca.pem"), &pebble.ca_pem).unwrap();
    let data = dir.path().join("data").display().to_string();
    let listen = format!("127.0.0.1:{tls_port}");
    let http_listen = format!("127.0.0.1:{http_port}");
    let args = [
        "--domain",
        "plane.acme.test",
        "--acme-directory",
        &pebble.directory,
        "--acme-ca-root",
        "pebble-ca.pem",
        "--acme-email",
        "admin@acme.test",
        "--acme-challenge",
        challenge,
        "--listen",
        &listen,
        "--http-listen",
        &http_listen,
        "--data-dir",
        &data,
    ];
    let server = Server::start(&args, &[], dir.path());
    wait_for_event(&server, "DeployedNewCert").await;

    let root = pebble.issuing_root().await;
    let client = https_client(&root, "plane.acme.test", server.addr.unwrap());
    let resp = client
        .get(format!("https://plane.acme.test:{tls_port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_2);
    let redirect = crate::support::client()
        .get(format!("http://127.0.0.1:{http_port}/x?y=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        redirect.headers()[header::LOCATION],
        format!("https://plane.acme.test:{tls_port}/x?y=1").as_str()
    );

    server.signal(libc::SIGTERM);
    let (status, _) = server.wait(Duration::from_secs(20));
    assert!(status.success());
    let restarted = Server::start(&args, &[], dir.path());
    wait_for_event(&restarted, "DeployedCachedCert").await;
    let resp = client
        .get(format!("https://plane.acme.test:{tls_port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let log = restarted.log_text();
    assert!(
        !log.contains("DeployedNewCert"),
        "the cached certificate is reused, not re-ordered:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_obtains_a_certificate_with_tls_alpn_01_and_reuses_it() {
    acme_round_trip("tls-alpn-01").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_obtains_a_certificate_with_http_01() {
    acme_round_trip("http-01").await;
}
