//! The command line as an operator meets it: configuration precedence and errors, start-up
//! failures that name their cause and leave nothing behind, migrations (graceful shutdown:
//! `shutdown.rs`; `doctor`: `doctor.rs`).

use std::{path::Path, process::Output, time::Duration};

use crate::{
    on_both_engines,
    support::{
        Engine, PgDatabase,
        process::{self, Server},
        tools,
    },
};

pub(crate) fn one_error_line(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got success: {}",
        process::stdout(out)
    );
    let err = process::stderr(out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{err}");
    errors[0].to_string()
}

#[test]
fn version_prints_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = process::run(&["version"], &[], dir.path());
    assert!(out.status.success());
    assert!(process::stdout(&out).starts_with(&format!("plane-aio {}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn flags_beat_environment_beat_file_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plane-aio.toml"),
        "listen = \"127.0.0.1:1111\"\nlog_level = \"warn\"\njob_workers = 7\ns3_path_style = false\n\
         database_url = \"postgres://plane:hunter2@db.internal:5432/plane\"\n",
    )
    .unwrap();
    let out = process::run(
        &["config", "--listen", "127.0.0.1:3333"],
        &[
            ("PLANE_AIO_LISTEN", "127.0.0.1:2222"),
            ("PLANE_AIO_LOG_LEVEL", "debug"),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", process::stderr(&out));
    let text = process::stdout(&out);
    assert!(
        text.contains("listen = \"127.0.0.1:3333\"  # flag --listen"),
        "{text}"
    );
    assert!(
        text.contains("log_level = \"debug\"  # env PLANE_AIO_LOG_LEVEL"),
        "{text}"
    );
    assert!(
        text.contains("job_workers = \"7\"  # file plane-aio.toml"),
        "{text}"
    );
    assert!(
        text.contains("file_size_limit = \"5242880\"  # default"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("postgres://plane:**redacted**@db.internal:5432/plane"),
        "{text}"
    );

    // Every secret stays hidden, a password given as a URL parameter too.
    let out = process::run(
        &[
            "config",
            "--database-url",
            "postgres://plane@db.internal/plane?sslmode=require&password=hunter3",
        ],
        &[
            ("PLANE_AIO_SECRET_KEY", "hunter4-0123456789abcdef0123456789"),
            ("PLANE_AIO_STORAGE_BACKEND", "s3"),
            ("PLANE_AIO_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("PLANE_AIO_S3_BUCKET", "plane"),
            ("PLANE_AIO_S3_ACCESS_KEY_ID", "id"),
            ("PLANE_AIO_S3_SECRET_ACCESS_KEY", "hunter5"),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", process::stderr(&out));
    let text = process::stdout(&out);
    for secret in ["hunter3", "hunter4", "hunter5"] {
        assert!(!text.contains(secret), "{secret} shown in {text}");
    }
    assert!(text.contains("sslmode=require"), "{text}");

    let explicit = dir.path().join("other.toml");
    std::fs::write(&explicit, "node_name = \"from-explicit\"\n").unwrap();
    let out = process::run(
        &["config", "--config", explicit.to_str().unwrap()],
        &[],
        dir.path(),
    );
    assert!(process::stdout(&out).contains("node_name = \"from-explicit\""));
    // PLANE_AIO_CONFIG names the file too; empty, it is unset (the working folder's file).
    let out = process::run(
        &["config"],
        &[("PLANE_AIO_CONFIG", explicit.to_str().unwrap())],
        dir.path(),
    );
    assert!(process::stdout(&out).contains("node_name = \"from-explicit\""));
    let out = process::run(&["config"], &[("PLANE_AIO_CONFIG", "")], dir.path());
    assert!(out.status.success(), "{}", process::stderr(&out));
}

#[test]
fn bad_configuration_names_the_key_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plane-aio.toml"),
        "lisen = \"127.0.0.1:1\"\n",
    )
    .unwrap();
    let refused = process::run(&["serve"], &[], dir.path());
    assert_eq!(
        refused.status.code(),
        Some(78),
        "EX_CONFIG: not worth restarting"
    );
    let line = one_error_line(&refused);
    assert!(
        line.contains("unknown configuration key `lisen`") && line.contains("listen"),
        "{line}"
    );
    std::fs::remove_file(dir.path().join("plane-aio.toml")).unwrap();

    let line = one_error_line(&process::run(
        &["serve"],
        &[("PLANE_AIO_FILE_SIZE_LIMIT", "lots")],
        dir.path(),
    ));
    assert!(
        line.contains("`file_size_limit`")
            && line.contains("PLANE_AIO_FILE_SIZE_LIMIT")
            && line.contains("5MiB"),
        "{line}"
    );

    let line = one_error_line(&process::run(
        &["serve", "--listen", "nowhere"],
        &[],
        dir.path(),
    ));
    assert!(
        line.contains("`listen`") && line.contains("ADDRESS:PORT"),
        "{line}"
    );

    // A bad secret is named, but its value is never repeated.
    let line = one_error_line(&process::run(
        &["serve"],
        &[("PLANE_AIO_SECRET_KEY", "tooshort-hunter2")],
        dir.path(),
    ));
    assert!(
        line.contains("`secret_key`") && line.contains("32 characters"),
        "{line}"
    );
    assert!(!line.contains("hunter2"), "{line}");
    let line = one_error_line(&process::run(
        &["serve", "--database-url", "mysql://plane:hunter2@db/plane"],
        &[],
        dir.path(),
    ));
    assert!(
        line.contains("`database_url`") && line.contains("db/plane"),
        "{line}"
    );
    assert!(!line.contains("hunter2"), "{line}");

    let out = process::run(&["serve", "--no-such-flag"], &[], dir.path());
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    assert!(
        !dir.path().join("plane-data").exists(),
        "nothing was created"
    );
}

#[test]
fn a_second_server_on_the_same_data_folder_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let first = Server::start(
        &["--data-dir", &data, "--listen", "127.0.0.1:0"],
        &[],
        dir.path(),
    );
    // The first start laid the folder out.
    let root = dir.path().join("data");
    for (entry, is_dir) in [
        ("plane.db", false),
        ("queue.db", false),
        ("kv", true),
        ("uploads", true),
        ("plane-aio.lock", false),
    ] {
        let meta = std::fs::metadata(root.join(entry))
            .unwrap_or_else(|e| panic!("{entry} in the data folder: {e}"));
        assert_eq!(meta.is_dir(), is_dir, "{entry}");
    }
    // The same settings as the first, port included: the folder's owner is what gets named.
    let same_port = first
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let out = process::run(
        &["serve", "--data-dir", &data, "--listen", &same_port],
        &[],
        dir.path(),
    );
    let line = one_error_line(&out);
    assert!(
        line.contains(&format!("is in use by pid {}", first.pid())),
        "{line}"
    );
    // The first server is unharmed.
    plane_aio::app::install_crypto_provider();
    let resp = reqwest::blocking::get(first.url("/readyz")).unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn a_port_in_use_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = dir.path().join("data");
    let line = one_error_line(&process::run(
        &[
            "serve",
            "--listen",
            &addr,
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
        dir.path(),
    ));
    assert!(
        line.contains(&format!("cannot listen on {addr}")) && line.contains("already in use"),
        "{line}"
    );
    assert!(!data.exists(), "no data folder was created");
}

fn entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Systemd and Docker recipes create the data folder before the first start: a failed first
/// start leaves it as it found it.
#[test]
fn a_failed_start_in_an_existing_folder_takes_away_only_what_it_added() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let serve = |listen: &str, extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--listen",
            listen,
            "--data-dir",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        one_error_line(&process::run(&args, &[], dir.path()))
    };

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = serve(&addr, &[]);
    assert!(line.contains("already in use"), "{line}");
    assert!(data.is_dir(), "the folder stays");
    assert_eq!(entries(&data), Vec::<String>::new(), "and stays empty");

    let url = format!("postgres://plane@127.0.0.1:{}/plane", tools::free_port());
    let line = serve("127.0.0.1:0", &["--database-url", &url]);
    assert!(line.contains("cannot connect to Postgres"), "{line}");
    assert_eq!(entries(&data), Vec::<String>::new());

    // A failure once the folder is in use (the database already made and migrated): a file
    // where the key-value store's folder goes.
    std::fs::write(data.join("kv"), "not a folder").unwrap();
    let line = serve("127.0.0.1:0", &[]);
    assert!(line.contains("key-value store"), "{line}");
    assert_eq!(entries(&data), ["kv"], "only what was there before");
    assert_eq!(
        std::fs::read_to_string(data.join("kv")).unwrap(),
        "not a folder"
    );
}

#[test]
fn a_missing_tls_file_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The certificate, and the mail server's extra trust root alike (rather than every mail
    // failing later).
    let cases: [(&[&str], &str, &str); 2] = [
        (
            &["--tls-cert", "missing.pem", "--tls-key", "missing-key.pem"],
            "tls_cert",
            "missing.pem",
        ),
        (
            &["--smtp-ca-root", "missing-ca.pem"],
            "smtp_ca_root",
            "missing-ca.pem",
        ),
    ];
    for (flags, key, file) in cases {
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        let line = one_error_line(&process::run(&args, &[], dir.path()));
        assert!(line.contains(key) && line.contains(file), "{line}");
        assert!(!data.exists());
    }
}

/// Starts `serve` with `database_url` on a new data folder in `dir`; returns its one error line,
/// having checked that nothing was created.
fn refused_database(dir: &Path, url: &str) -> String {
    let data = dir.join("data");
    let line = one_error_line(&process::run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            url,
        ],
        &[],
        dir,
    ));
    assert!(!data.exists(), "nothing is created: {line}");
    line
}

#[test]
fn a_sqlite_file_in_a_missing_folder_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gone/plane.db").display());
    let line = refused_database(dir.path(), &url);
    assert!(
        line.contains("gone/plane.db") && line.contains("does not exist"),
        "{line}"
    );
}

#[tokio::test]
async fn postgres_that_refuses_us_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |url: &str| refused_database(dir.path(), url);

    let port = tools::free_port();
    let line = refused(&format!("postgres://plane:secret@127.0.0.1:{port}/plane"));
    assert!(
        line.contains(&format!("cannot connect to Postgres at 127.0.0.1:{port}")),
        "{line}"
    );
    // The cause, not the pool's "timed out waiting for a connection" ten seconds later.
    assert!(line.to_lowercase().contains("refused"), "{line}");
    assert!(!line.contains("secret"), "{line}");

    if crate::support::postgres::available().await {
        let mut wrong_db = url::Url::parse(&crate::support::postgres::admin_url()).unwrap();
        wrong_db.set_path("plane_aio_no_such_database");
        let line = refused(wrong_db.as_str());
        assert!(
            line.contains("plane_aio_no_such_database") && line.contains("does not exist"),
            "{line}"
        );

        // Credentials refused. The local Postgres trusts 127.0.0.1, so a wrong password cannot
        // be presented; an unknown role is refused in the same authentication step (28000).
        let mut wrong_user = url::Url::parse(&crate::support::postgres::admin_url()).unwrap();
        wrong_user.set_username("plane_aio_no_such_role").unwrap();
        wrong_user.set_password(Some("wrong-secret")).unwrap();
        let line = refused(wrong_user.as_str());
        assert!(
            line.contains("plane_aio_no_such_role") && line.contains("does not exist"),
            "{line}"
        );
        assert!(!line.contains("wrong-secret"), "{line}");
    }
}

/// Runs `serve` in a private mount namespace whose data folder sits on a small tmpfs; after it
/// exits, prints what is left on the tmpfs as a `left on disk: …` line on stdout (the tmpfs
/// vanishes with the namespace, so it can only be looked at from inside).
fn serve_on_tmpfs(dir: &Path, mount_options: &str, prepare: &str) -> Option<Output> {
    let probe = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        crate::support::tools::missing(
            "cannot create a mount namespace here (needs root and unshare)",
        );
        return None;
    }
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let script = format!(
        "mount -t tmpfs -o {mount_options} tmpfs {mnt} && {prepare} {bin} serve --listen 127.0.0.1:0 --data-dir {mnt}/data; status=$?; echo \"left on disk: $(ls -A {mnt} | tr '\\n' ' ')\"; exit $status",
        mnt = mnt.display(),
        bin = process::BIN,
    );
    Some(
        std::process::Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .current_dir(dir)
            .output()
            .unwrap(),
    )
}

#[test]
fn a_read_only_data_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = serve_on_tmpfs(dir.path(), "ro,size=1m", "") else {
        return;
    };
    let line = one_error_line(&out);
    assert!(
        line.contains("data folder") && line.contains("read-only"),
        "{line}"
    );
}

#[test]
fn a_full_disk_is_named_and_the_new_folder_removed() {
    let dir = tempfile::tempdir().unwrap();
    // Leave a few KiB free: enough for the folder and lock file, not for the database.
    let fill = "dd if=/dev/zero of=$0/filler bs=1k count=1000 2>/dev/null; "
        .replace("$0", &dir.path().join("mnt").display().to_string());
    let Some(out) = serve_on_tmpfs(dir.path(), "size=1024k", &fill) else {
        return;
    };
    let line = one_error_line(&out);
    assert!(line.contains("full"), "{line}");
    let left = process::stdout(&out);
    let left = left
        .lines()
        .find_map(|l| l.strip_prefix("left on disk: "))
        .unwrap_or_else(|| panic!("no report of the tmpfs contents: {left}"));
    assert_eq!(left.trim(), "filler", "the new data folder is removed");
}

on_both_engines!(
    migrate_applies_once_and_reports_up_to_date,
    |engine: Engine| async move {
        let dir = tempfile::tempdir().unwrap();
        let pg = match engine {
            Engine::Postgres => Some(PgDatabase::create().await),
            Engine::Sqlite => None,
        };
        let data = dir.path().join("data").display().to_string();
        let mut args = vec!["migrate", "--data-dir", &data];
        if let Some(pg) = &pg {
            args.extend(["--database-url", pg.url.as_str()]);
        }
        let first = process::run(&args, &[], dir.path());
        assert!(first.status.success(), "{}", process::stderr(&first));
        assert!(
            process::stdout(&first).contains("applied m20261125_000001_foundation"),
            "{}",
            process::stdout(&first)
        );
        let second = process::run(&args, &[], dir.path());
        assert!(second.status.success());
        assert_eq!(
            process::stdout(&second).trim(),
            "database is up to date",
            "logs go to stderr"
        );
    }
);

#[test]
fn migrate_on_sqlite_takes_the_data_folder_and_a_failure_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();

    // An existing database migrate cannot apply its migrations to.
    std::fs::create_dir(&data).unwrap();
    let conn = rusqlite::Connection::open(data.join("plane.db")).unwrap();
    conn.execute_batch("CREATE TABLE instance_configurations (mine TEXT)")
        .unwrap();
    drop(conn);
    let line = one_error_line(&process::run(
        &["migrate", "--data-dir", &data_arg],
        &[],
        dir.path(),
    ));
    assert!(line.contains("cannot migrate"), "{line}");
    assert_eq!(entries(&data), ["plane.db"], "nothing is left beside it");
    std::fs::remove_file(data.join("plane.db")).unwrap();

    // The folder's server holds it: migrate waits for it to stop.
    let server = Server::start(
        &["--data-dir", &data_arg, "--listen", "127.0.0.1:0"],
        &[],
        dir.path(),
    );
    let line = one_error_line(&process::run(
        &["migrate", "--data-dir", &data_arg],
        &[],
        dir.path(),
    ));
    assert!(
        line.contains(&format!("is in use by pid {}", server.pid()))
            && line.contains("stop that server first"),
        "{line}"
    );
    server.signal(libc::SIGTERM);
    let (status, log) = server.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{log}");
    let out = process::run(&["migrate", "--data-dir", &data_arg], &[], dir.path());
    assert!(out.status.success(), "{}", process::stderr(&out));
    assert_eq!(process::stdout(&out).trim(), "database is up to date");
}
