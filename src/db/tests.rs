use sea_orm::sqlx::{self, Row};

/// Every pooled connection carries the appliance's pragmas, not only the first one.
#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_a_busy_timeout_and_normal_sync() {
    let dir = tempfile::tempdir().unwrap();
    let pool = super::sqlite_pool(&dir.path().join("app.db"), true)
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.unwrap();
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(mode, "wal");
        let mut read = async |statement: &'static str| -> i64 {
            sqlx::query(statement)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .get(0)
        };
        assert_eq!(read("PRAGMA foreign_keys").await, 1);
        assert_eq!(read("PRAGMA synchronous").await, 1, "NORMAL");
        assert_eq!(
            read("PRAGMA busy_timeout").await,
            super::SQLITE_BUSY_TIMEOUT.as_millis() as i64
        );
        let mut qpsg: std::ffi::c_int = -1;
        let mut handle = conn.lock_handle().await.unwrap();
        // SAFETY: a live, locked handle; -1 reads the setting into `qpsg`.
        unsafe {
            rusqlite::ffi::sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                rusqlite::ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as std::ffi::c_int,
                &mut qpsg as *mut std::ffi::c_int,
            );
        }
        assert_eq!(
            qpsg, 1,
            "query-plan stability (statements are not re-prepared)"
        );
        drop(handle);
        held.push(conn);
    }
    drop(held); // close() waits for every connection to come back
    pool.close().await;
}
