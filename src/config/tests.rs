use super::*;

fn flags(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

#[test]
fn defaults_are_sqlite_in_the_data_folder_on_localhost() {
    let s = Settings::from_flags(&[]).unwrap();
    assert_eq!(s.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(
        s.database,
        DatabaseSettings::Sqlite {
            path: PathBuf::from("./plane-data/plane.db")
        }
    );
    assert_eq!(s.file_size_limit, 5 * 1024 * 1024);
    assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(s.storage, StorageSettings::Fs);
    assert_eq!(s.cron.purge_expired.as_deref(), Some("0 */10 * * * *"));
}

#[test]
fn bad_values_name_key_source_and_form() {
    let err = Settings::from_flags(&flags(&[("listen", "localhost")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`listen`") && err.contains("--listen") && err.contains("ADDRESS:PORT"),
        "{err}"
    );
    let err = Settings::from_flags(&flags(&[("file_size_limit", "huge")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`file_size_limit`") && err.contains("5MiB"),
        "{err}"
    );
    let err = Settings::from_flags(&flags(&[("database_url", "mysql://x")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`database_url`"), "{err}");
    let err = Settings::from_flags(&flags(&[("job_orphan_timeout", "2s")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`job_orphan_timeout`") && err.contains("at least 3s"),
        "{err}"
    );
    let ok = Settings::from_flags(&flags(&[("job_orphan_timeout", "5m")])).unwrap();
    assert_eq!(ok.jobs.orphan_timeout, Duration::from_secs(300));
}

#[test]
fn the_shutdown_budget_stays_below_the_orphan_timeout() {
    let err = Settings::from_flags(&flags(&[("shutdown_timeout", "60s")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`shutdown_timeout`"), "{err}");
    let err = Settings::from_flags(&flags(&[("job_orphan_timeout", "10s")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`job_orphan_timeout`"), "{err}");
    assert!(
        Settings::from_flags(&flags(&[
            ("job_orphan_timeout", "10s"),
            ("shutdown_timeout", "5s")
        ]))
        .is_ok()
    );
}

#[test]
fn a_sqlite_url_names_a_file() {
    let s = Settings::from_flags(&flags(&[("database_url", "sqlite:///srv/plane.db")])).unwrap();
    assert_eq!(
        s.database,
        DatabaseSettings::Sqlite {
            path: PathBuf::from("/srv/plane.db")
        }
    );
    for url in ["sqlite://", "sqlite:", "sqlite://plane.db?mode=memory"] {
        let err = Settings::from_flags(&flags(&[("database_url", url)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sqlite://PATH"), "{url}: {err}");
    }
}

#[test]
fn domain_switches_to_https_defaults() {
    let s = Settings::from_flags(&flags(&[("domain", "plane.example.com")])).unwrap();
    assert_eq!(s.listen.port(), 443);
    assert_eq!(s.http_listen.map(|a| a.port()), Some(80));
    assert_eq!(s.public_url.as_str(), "https://plane.example.com/");
}

#[test]
fn conflicting_tls_settings_are_refused() {
    assert!(Settings::from_flags(&flags(&[("tls_cert", "c.pem")])).is_err());
    assert!(
        Settings::from_flags(&flags(&[
            ("tls_cert", "c"),
            ("tls_key", "k"),
            ("domain", "a.example.com")
        ]))
        .is_err()
    );
    assert!(Settings::from_flags(&flags(&[("acme_email", "a@b.c")])).is_err());
}

#[test]
fn s3_needs_its_keys_and_fs_refuses_them() {
    let err = Settings::from_flags(&flags(&[("storage_backend", "s3")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("s3_bucket"), "{err}");
    for (key, value) in [
        ("s3_bucket", "plane"),
        ("s3_path_style", "maybe"),
        ("s3_region", "eu"),
    ] {
        assert!(
            Settings::from_flags(&flags(&[(key, value)])).is_err(),
            "{key}"
        );
    }
    let s = Settings::from_flags(&flags(&[
        ("storage_backend", "s3"),
        ("s3_bucket", "plane"),
        ("s3_access_key_id", "id"),
        ("s3_secret_access_key", "secret"),
    ]))
    .unwrap();
    let StorageSettings::S3(s3) = &s.storage else {
        panic!("s3 expected")
    };
    assert_eq!(s3.endpoint.as_str(), "https://s3.us-east-1.amazonaws.com/");
    assert!(s3.path_style);
}

#[test]
fn empty_or_off_cron_schedule_disables_the_job() {
    for off in ["", "off"] {
        let s = Settings::from_flags(&flags(&[
            ("cron_purge_expired", off),
            ("cron_dispatch_outbox", off),
        ]))
        .unwrap();
        assert_eq!(s.cron.purge_expired, None, "{off:?}");
        assert_eq!(s.cron.dispatch_outbox, None, "{off:?}");
    }
    let s = Settings::from_flags(&[]).unwrap();
    assert_eq!(s.cron.dispatch_outbox.as_deref(), Some("0 * * * * *"));
}

#[test]
fn a_bad_cron_schedule_names_its_key() {
    for key in ["cron_purge_expired", "cron_dispatch_outbox"] {
        let err = Settings::from_flags(&flags(&[(key, "every minute")])).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { key: k, .. } if k == key),
            "{err}"
        );
    }
}

#[test]
fn describe_redacts_secrets() {
    let s = Settings::from_flags(&flags(&[
        ("database_url", "postgres://plane:hunter2@db:5432/plane"),
        ("secret_key", "0123456789abcdef0123456789abcdef-x"),
    ]))
    .unwrap();
    let text = format!("{:?}", s.describe());
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("0123456789abcdef"), "{text}");
    assert!(
        text.contains("postgres://plane:**redacted**@db:5432/plane"),
        "{text}"
    );
}
