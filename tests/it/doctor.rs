//! `plane-aio doctor`: probes an operator runs against an installation, and what they refuse.

use crate::{cli::one_error_line, support::process};

#[test]
fn impossible_queue_probes_are_refused_before_anything_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, named) in [
        (&["--hold", "2h"][..], "--hold"),
        (
            &["--hold", "1h", "--timeout", "300000000000y"][..],
            "--timeout",
        ),
    ] {
        let mut command = vec!["doctor", "queue", "--data-dir", data.to_str().unwrap()];
        command.extend_from_slice(args);
        let line = one_error_line(&process::run(&command, &[], dir.path()));
        assert!(line.contains(named), "{args:?}: {line}");
        assert!(!data.exists(), "{args:?}: the data folder was created");
    }
}

#[test]
fn doctor_ready_asks_the_configured_server_and_fails_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("plane-aio.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let server = process::Server::start(&["--config", config_arg], &[], dir.path());
    let ready = process::run(
        &["doctor", "ready", "--config", config_arg],
        &[],
        dir.path(),
    );
    assert!(ready.status.success(), "{}", process::stderr(&ready));
    assert!(
        process::stdout(&ready).contains(&format!("http://127.0.0.1:{port}/readyz")),
        "{}",
        process::stdout(&ready)
    );
    server.kill9();
    let line = one_error_line(&process::run(
        &["doctor", "ready", "--config", config_arg],
        &[],
        dir.path(),
    ));
    assert!(line.contains("no answer at"), "{line}");
}
