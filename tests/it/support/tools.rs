//! External test servers: an S3-compatible server (s3s-fs) and an ACME CA (pebble). Each is
//! found on PATH or in the tools folder `make test` fills (PLANE_TEST_TOOLS); when missing, the
//! tests that need it are skipped (libtest shows their `skipped:` line only with --nocapture;
//! tests/run.sh names every missing tool beforehand), unless PLANE_TEST_REQUIRE_TOOLS=1.

use std::path::PathBuf;

pub fn find(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(tools) = std::env::var("PLANE_TEST_TOOLS") {
        dirs.push(PathBuf::from(tools).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cache/plane-aio/tools/bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The tool's path, or None after printing why the test is skipped.
pub fn require(name: &str, install_hint: &str) -> Option<PathBuf> {
    match find(name) {
        Some(path) => Some(path),
        None => {
            missing(&format!("`{name}` is not installed ({install_hint})"));
            None
        }
    }
}

/// Reports a missing tool: a visible "skipped" line, or a panic when PLANE_TEST_REQUIRE_TOOLS=1.
pub fn missing(why: &str) {
    if std::env::var("PLANE_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("PLANE_TEST_REQUIRE_TOOLS=1 but {why}");
    }
    eprintln!("skipped: {why}");
}

/// A free port on 127.0.0.1 (for tools that cannot report the port they bound).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
