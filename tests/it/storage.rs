//! One storage suite, run on the folder backend and on a real S3-compatible server (s3s-fs,
//! which checks SigV4 signatures) started on 127.0.0.1 for the test.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use plane_aio::storage::{ObjectKey, StorageError};
use reqwest::StatusCode;

use crate::{
    on_both_engines,
    support::{Engine, TestApp, eventually, tools},
};

struct S3Server {
    child: Child,
    endpoint: String,
    _root: tempfile::TempDir,
}

impl S3Server {
    async fn start() -> Option<S3Server> {
        let binary = tools::require(
            "s3s-fs",
            "make test builds it into ~/.cache/plane-aio/tools",
        )?;
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("plane")).unwrap();
        let port = tools::free_port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", "testkey", "--secret-key", "testsecret"])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _root: root,
        };
        crate::support::eventually(Duration::from_secs(20), "s3s-fs to listen", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        Some(server)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn with_query(url: &str, key: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == key {
                (k, value.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// Flips one hex digit of the URL's signature parameter.
fn tamper(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    let (name, signature) = parsed
        .query_pairs()
        .find(|(k, _)| k == "signature" || k == "X-Amz-Signature")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .expect("signed URL");
    let mut chars: Vec<char> = signature.chars().collect();
    chars[0] = if chars[0] == '0' { '1' } else { '0' };
    with_query(url, &name, &chars.into_iter().collect::<String>())
}

async fn storage_suite(app: &TestApp) {
    let storage = app.state.storage();
    let client = &app.client;
    let base = &app.state.settings().public_url;

    // Direct operations.
    let key = ObjectKey::parse("workspaces/acme/report 1.txt").unwrap();
    storage
        .write(&key, b"hello storage".to_vec())
        .await
        .unwrap();
    assert_eq!(storage.read(&key).await.unwrap(), b"hello storage");
    assert_eq!(storage.stat(&key).await.unwrap().0, 13);
    storage.delete(&key).await.unwrap();
    assert!(matches!(
        storage.read(&key).await,
        Err(StorageError::NotFound)
    ));
    assert!(ObjectKey::parse("../escape").is_err());

    // Presigned write, then presigned read, by plain HTTP without other credentials.
    let key = ObjectKey::parse("uploads/avatar.png").unwrap();
    let body = vec![7u8; 3000];
    let put = storage
        .presign_write(&key, Duration::from_secs(60), base)
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    let mut request = client.put(&put.url).body(body.clone());
    for (name, value) in &put.headers {
        request = request.header(name, value);
    }
    let resp = request.send().await.unwrap();
    assert!(
        resp.status().is_success(),
        "presigned PUT: {}",
        resp.status()
    );
    assert_eq!(storage.read(&key).await.unwrap(), body);

    let get = storage
        .presign_read(
            &key,
            Duration::from_secs(60),
            &app.state.settings().public_url,
        )
        .await
        .unwrap();
    let resp = client.get(&get.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), body);

    // A tampered signature is refused and writes nothing.
    let resp = client.get(tamper(&get.url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "tampered GET");
    let other = ObjectKey::parse("uploads/forged.bin").unwrap();
    let forged_put = storage
        .presign_write(&other, Duration::from_secs(60), base)
        .await
        .unwrap();
    let resp = client
        .put(tamper(&forged_put.url))
        .body("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "tampered PUT");
    assert!(matches!(
        storage.read(&other).await,
        Err(StorageError::NotFound)
    ));

    // A read URL does not allow writing.
    let resp = client.put(&get.url).body("overwrite").send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "PUT with a GET signature"
    );
    assert_eq!(storage.read(&key).await.unwrap(), body);

    // Objects listed by age (the purge's sweep of unused uploads).
    let listed = storage
        .objects_older_than("uploads/", Duration::ZERO)
        .await
        .unwrap();
    let listed: Vec<&str> = listed.iter().map(|k| k.as_str()).collect();
    assert_eq!(listed, ["uploads/avatar.png"]);
    assert!(
        storage
            .objects_older_than("uploads/", Duration::from_secs(3600))
            .await
            .unwrap()
            .is_empty()
    );

    // Expired links are refused.
    let short = storage
        .presign_read(&key, Duration::from_secs(1), base)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = client.get(&short.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "expired GET");
}

#[tokio::test]
async fn storage_works_on_the_data_folder() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    storage_suite(&app).await;
    assert!(
        app.data_dir
            .path()
            .join("uploads/uploads/avatar.png")
            .is_file(),
        "files live under <data_dir>/uploads"
    );
    // A write is made aside and renamed into place: an overwrite is a new file (a new inode),
    // never the old one rewritten where a reader or a crash could catch it half-way.
    use std::os::unix::fs::MetadataExt;
    let key = ObjectKey::parse("uploads/report.txt").unwrap();
    let file = app.data_dir.path().join("uploads/uploads/report.txt");
    let storage = app.state.storage();
    storage.write(&key, b"first".to_vec()).await.unwrap();
    let first = std::fs::metadata(&file).unwrap().ino();
    storage.write(&key, b"second".to_vec()).await.unwrap();
    assert_ne!(std::fs::metadata(&file).unwrap().ino(), first);
    assert_eq!(std::fs::read(&file).unwrap(), b"second");
    let partial = app.data_dir.path().join("uploads/.partial");
    assert_eq!(
        std::fs::read_dir(&partial).unwrap().count(),
        0,
        "{partial:?}"
    );
    // The fs-mode signed URLs are the server's own.
    let key = ObjectKey::parse("k.txt").unwrap();
    let url = app
        .state
        .storage()
        .presign_read(
            &key,
            Duration::from_secs(60),
            &app.state.settings().public_url,
        )
        .await
        .unwrap()
        .url;
    assert!(url.starts_with(&app.url("/api/storage/k.txt?")), "{url}");
    let unsigned = app.get("/api/storage/k.txt").await;
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn storage_works_on_s3() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("storage_backend", "s3"),
            ("s3_endpoint", &s3.endpoint),
            ("s3_bucket", "plane"),
            ("s3_access_key_id", "testkey"),
            ("s3_secret_access_key", "testsecret"),
        ],
    )
    .await;
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["storage"]["status"], "ok", "{ready}");
    storage_suite(&app).await;
    let url = app
        .state
        .storage()
        .presign_read(
            &ObjectKey::parse("x").unwrap(),
            Duration::from_secs(60),
            &app.state.settings().public_url,
        )
        .await
        .unwrap()
        .url;
    assert!(
        url.starts_with(&s3.endpoint) && url.contains("X-Amz-Signature="),
        "{url}"
    );
    // The server's own signed-URL route is not used in S3 mode.
    assert_eq!(
        app.get("/api/storage/x?expires=1&signature=00")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn wrong_s3_credentials_make_readiness_fail_on_storage() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("storage_backend", "s3"),
            ("s3_endpoint", &s3.endpoint),
            ("s3_bucket", "plane"),
            ("s3_access_key_id", "testkey"),
            ("s3_secret_access_key", "wrong-secret"),
        ],
    )
    .await;
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["failing"], serde_json::json!(["storage"]));
}

#[tokio::test]
async fn uploads_abandoned_mid_write_are_swept_by_the_purge() {
    let app = TestApp::spawn_with(Engine::Sqlite, &[("cron_purge_expired", "* * * * * *")]).await;
    let partial = app.data_dir.path().join("uploads/.partial");
    std::fs::create_dir_all(&partial).unwrap();
    // What a kill -9 in the middle of an upload leaves: a temporary file, never a torn object.
    let abandoned = partial.join("avatar.png.8f1c2b");
    std::fs::write(&abandoned, "torn").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&abandoned)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    // A write under way (perhaps another node's, on a shared folder) stays.
    let under_way = partial.join("report.pdf.77aa01");
    std::fs::write(&under_way, "half").unwrap();

    eventually(Duration::from_secs(30), "the purge to sweep", || async {
        (!abandoned.exists()).then_some(())
    })
    .await;
    assert!(under_way.exists());
}

on_both_engines!(
    avatar_uploads_no_profile_uses_are_swept_after_a_day,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("cron_purge_expired", "* * * * * *")]).await;
        let admin = app.admin().await;
        let me: serde_json::Value = admin.get("/api/users/me/").await.json().await.unwrap();
        let user_id = me["id"].as_str().unwrap();
        let storage = app.state.storage();
        let png = vec![137u8, 80, 78, 71];
        let mut keys = Vec::new();
        for name in ["used.png", "old.png", "new.png", "late.png"] {
            let key = ObjectKey::parse(&format!("avatars/{user_id}/{name}")).unwrap();
            storage.write(&key, png.clone()).await.unwrap();
            keys.push(key);
        }
        let [used, unused_old, unused_new, late] = &keys[..] else {
            unreachable!()
        };
        let set_avatar = async |key: &ObjectKey| {
            admin
                .patch(
                    "/api/users/me/",
                    serde_json::json!({"avatar_asset": key.as_str()}),
                )
                .await
                .status()
        };
        assert_eq!(set_avatar(used).await, StatusCode::OK);
        let age = |key: &ObjectKey, seconds: u64| {
            std::fs::File::options()
                .write(true)
                .open(app.data_dir.path().join("uploads").join(key.as_str()))
                .unwrap()
                .set_modified(std::time::SystemTime::now() - Duration::from_secs(seconds))
                .unwrap();
        };
        age(used, 2 * 24 * 3600);
        age(unused_old, 2 * 24 * 3600);
        // An upload two hours old is no longer taken as an avatar (the sweep could be about to
        // remove it), though the sweep leaves it for the rest of the day.
        age(late, 2 * 3600);
        assert_eq!(set_avatar(late).await, StatusCode::BAD_REQUEST);
        // The avatar already set, sent again with the profile, is not refused for its age.
        assert_eq!(set_avatar(used).await, StatusCode::OK);

        eventually(Duration::from_secs(30), "the purge to sweep", || async {
            matches!(storage.read(unused_old).await, Err(StorageError::NotFound)).then_some(())
        })
        .await;
        assert_eq!(storage.read(used).await.unwrap(), png, "in use: kept");
        assert_eq!(storage.read(unused_new).await.unwrap(), png, "fresh: kept");
        assert_eq!(storage.read(late).await.unwrap(), png, "under a day: kept");
        let me: serde_json::Value = admin.get("/api/users/me/").await.json().await.unwrap();
        assert!(me["avatar_url"].is_string(), "the avatar in use stays set");
    }
);
