//! SIGTERM and SIGINT: the request in flight is finished, then the process exits 0.

use std::time::Duration;

use crate::support::process::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_exits_zero() {
    stops_gracefully_on(libc::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_finishes_the_request_in_flight_and_exits_zero() {
    stops_gracefully_on(libc::SIGINT).await;
}

async fn stops_gracefully_on(signal: libc::c_int) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let server = Server::start(
        &[
            "--data-dir",
            &data,
            "--listen",
            "127.0.0.1:0",
            "--secret-key",
            "0123456789abcdef0123456789abcdef",
        ],
        &[],
        dir.path(),
    );
    // A slow upload to a signed URL: the body trickles in while the server is told to stop.
    let signer = plane_aio::storage::UrlSigner::new(plane_aio::config::Secret::new(
        "0123456789abcdef0123456789abcdef",
    ));
    let key = plane_aio::storage::ObjectKey::parse("slow/upload.bin").unwrap();
    let base = url::Url::parse(&server.url("/")).unwrap();
    let put = signer.presign(&base, "PUT", &key, Duration::from_secs(60));
    let chunks = futures_util::stream::unfold(0, |i| async move {
        if i == 6 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some((Ok::<_, std::io::Error>(vec![b'z'; 1000]), i + 1))
    });
    let client = crate::support::client();
    let upload = tokio::spawn(
        client
            .put(&put.url)
            .body(reqwest::Body::wrap_stream(chunks))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.signal(signal);
    let resp = upload
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(resp.status(), 200);
    let (status, log) = server.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{log}");
    assert_eq!(
        std::fs::read(dir.path().join("data/uploads/slow/upload.bin"))
            .unwrap()
            .len(),
        6000
    );
    assert!(log.contains("shutdown signal received"), "{log}");
}
