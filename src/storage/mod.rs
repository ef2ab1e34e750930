//! File storage (MinIO's job in a Plane install), through opendal: a folder under the data
//! folder by default, or an S3-compatible bucket.
//!
//! Presigned URLs let a browser upload or download an object without the request carrying the
//! user's credentials. S3 signs them itself (SigV4). A folder cannot, so in fs mode the server
//! signs its own short-lived URLs to `/api/storage/{key}` with HMAC-SHA256 under the instance
//! secret (see [`signer`]) and serves them from [`crate::http::storage_objects`].

mod key;
pub mod signer;

use std::{path::Path, time::Duration};

use opendal::{Operator, layers::RetryLayer, layers::TimeoutLayer, services};

use crate::config::{S3Settings, StorageSettings};

pub use key::{InvalidKey, ObjectKey};
pub use signer::UrlSigner;

/// A request a client can make without other credentials.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the client must send as signed (besides Host).
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object not found")]
    NotFound,
    #[error("storage: {0}")]
    Backend(#[from] opendal::Error),
    #[error("storage: {0}")]
    Unavailable(String),
}

impl StorageError {
    fn from_opendal(error: opendal::Error) -> StorageError {
        if error.kind() == opendal::ErrorKind::NotFound {
            StorageError::NotFound
        } else {
            StorageError::Backend(error)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Fs,
    S3,
}

#[derive(Clone, Debug)]
pub struct Storage {
    op: Operator,
    kind: BackendKind,
    signer: UrlSigner,
    /// The folder of the fs backend.
    fs_root: Option<std::path::PathBuf>,
}

/// The folder, inside the uploads folder, where fs-mode writes are made before they are
/// renamed into place. Outside the key space: [`ObjectKey`] refuses it as a first segment.
pub const PARTIAL_DIR: &str = ".partial";

/// Registers opendal's services and its HTTP transport once per process (the crate is built
/// without its auto-registration, which would pull a second TLS stack).
fn init_opendal() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        opendal::init_default_registry();
        opendal_http_transport_reqwest::install_default();
    });
}

impl Storage {
    /// `uploads_dir` holds the objects in fs mode, each written first in its [`PARTIAL_DIR`]
    /// (inside it, so on the same file system even when `uploads/` is a mount of its own),
    /// synced, then renamed into place: a reader, or a restart after a crash mid-write, sees the
    /// old object or the whole new one, never a torn file. `signer` signs fs-mode URLs.
    pub fn new(
        settings: &StorageSettings,
        uploads_dir: &Path,
        signer: UrlSigner,
    ) -> Result<Storage, StorageError> {
        init_opendal();
        let (op, kind) = match settings {
            StorageSettings::Fs => {
                let root = uploads_dir.to_string_lossy().to_string();
                let partial = uploads_dir.join(PARTIAL_DIR).to_string_lossy().to_string();
                (
                    Operator::new(
                        services::Fs::default()
                            .root(&root)
                            .atomic_write_dir(&partial),
                    )?,
                    BackendKind::Fs,
                )
            }
            StorageSettings::S3(s3) => (s3_operator(s3)?, BackendKind::S3),
        };
        let op = op
            .layer(TimeoutLayer::new().with_timeout(Duration::from_secs(60)))
            .layer(RetryLayer::new().with_max_times(3).with_jitter());
        let fs_root = matches!(kind, BackendKind::Fs).then(|| uploads_dir.to_path_buf());
        Ok(Storage {
            op,
            kind,
            signer,
            fs_root,
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// Writes the object whole. A write that fails half-way is aborted, which takes its
    /// temporary file away (fs); what a crash leaves is swept by [`Storage::sweep_partial`].
    pub async fn write(
        &self,
        key: &ObjectKey,
        bytes: impl Into<opendal::Buffer>,
    ) -> Result<(), StorageError> {
        let mut writer = self
            .op
            .writer(key.as_str())
            .await
            .map_err(StorageError::from_opendal)?;
        let written = match writer.write(bytes).await {
            Ok(()) => writer.close().await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(key = %key, error = %abort, "cannot abort a failed storage write");
            }
            return Err(StorageError::from_opendal(e));
        }
        Ok(())
    }

    /// Removes temporary files of fs-mode writes older than `older_than`: what a crash, or a
    /// request dropped mid-write, left. (The folder may be shared by several nodes, so nothing
    /// younger is touched: it may be another node's write under way.) Returns how many went.
    pub async fn sweep_partial(&self, older_than: Duration) -> Result<u64, std::io::Error> {
        let Some(root) = &self.fs_root else {
            return Ok(0);
        };
        let mut entries = match tokio::fs::read_dir(root.join(PARTIAL_DIR)).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await? {
            let meta = entry.metadata().await?;
            let stale = meta
                .modified()
                .ok()
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age >= older_than);
            if meta.is_file() && stale {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    // Another node's sweep took it first.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }

    /// Objects under `prefix` (a folder, ending in `/`) last written at least `older_than` ago.
    pub async fn objects_older_than(
        &self,
        prefix: &str,
        older_than: Duration,
    ) -> Result<Vec<ObjectKey>, StorageError> {
        let cutoff = std::time::SystemTime::now()
            .checked_sub(older_than)
            .unwrap_or(std::time::UNIX_EPOCH);
        let entries = match self.op.list_with(prefix).recursive(true).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StorageError::from_opendal(e)),
        };
        let mut old = Vec::new();
        for entry in entries {
            if !entry.metadata().is_file() {
                continue;
            }
            // A listing does not always carry the time (fs); a stat does.
            let modified = match entry.metadata().last_modified() {
                Some(at) => Some(at),
                None => match self.op.stat(entry.path()).await {
                    Ok(meta) => meta.last_modified(),
                    // Gone meanwhile, or unreadable: not this sweep's to judge.
                    Err(e) => {
                        if e.kind() != opendal::ErrorKind::NotFound {
                            tracing::warn!(path = entry.path(), error = %e, "cannot read a stored object's age");
                        }
                        continue;
                    }
                },
            };
            let is_old = modified.is_some_and(|at| std::time::SystemTime::from(at) <= cutoff);
            if is_old && let Ok(key) = ObjectKey::parse(entry.path()) {
                old.push(key);
            }
        }
        Ok(old)
    }

    pub async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StorageError> {
        self.op
            .read(key.as_str())
            .await
            .map(|b| b.to_vec())
            .map_err(StorageError::from_opendal)
    }

    /// Size in bytes and when the object was last written (when the backend says), or NotFound.
    pub async fn stat(
        &self,
        key: &ObjectKey,
    ) -> Result<(u64, Option<std::time::SystemTime>), StorageError> {
        self.op
            .stat(key.as_str())
            .await
            .map(|m| (m.content_length(), m.last_modified().map(Into::into)))
            .map_err(StorageError::from_opendal)
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.op
            .delete(key.as_str())
            .await
            .map_err(StorageError::from_opendal)
    }

    /// Reachability, for readiness: one listing of the root (no writes, so frequent probes cost
    /// nothing on S3).
    pub async fn check(&self) -> Result<(), StorageError> {
        if let Some(root) = &self.fs_root {
            // opendal treats a missing root as an empty listing; for a folder that is an outage.
            let is_dir = tokio::fs::metadata(root).await.is_ok_and(|m| m.is_dir());
            if !is_dir {
                return Err(StorageError::Unavailable(format!(
                    "the uploads folder {} is missing",
                    root.display()
                )));
            }
        }
        self.op.check().await.map_err(StorageError::from_opendal)
    }

    /// A URL to read `key` for `ttl`; in fs mode served by this instance under `public_url`.
    pub async fn presign_read(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        public_url: &url::Url,
    ) -> Result<PresignedRequest, StorageError> {
        match self.kind {
            BackendKind::Fs => Ok(self.signer.presign(public_url, "GET", key, ttl)),
            BackendKind::S3 => Ok(from_opendal(self.op.presign_read(key.as_str(), ttl).await?)),
        }
    }

    /// A URL to write `key` for `ttl`; in fs mode served by this instance under `public_url`.
    pub async fn presign_write(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        public_url: &url::Url,
    ) -> Result<PresignedRequest, StorageError> {
        match self.kind {
            BackendKind::Fs => Ok(self.signer.presign(public_url, "PUT", key, ttl)),
            BackendKind::S3 => Ok(from_opendal(
                self.op.presign_write(key.as_str(), ttl).await?,
            )),
        }
    }

    pub fn signer(&self) -> &UrlSigner {
        &self.signer
    }
}

fn s3_operator(s3: &S3Settings) -> Result<Operator, opendal::Error> {
    let mut builder = services::S3::default()
        .endpoint(s3.endpoint.as_str().trim_end_matches('/'))
        .bucket(&s3.bucket)
        .region(&s3.region)
        .access_key_id(&s3.access_key_id)
        .secret_access_key(s3.secret_access_key.expose())
        .disable_config_load()
        .disable_ec2_metadata();
    if !s3.path_style {
        builder = builder.enable_virtual_host_style();
    }
    Operator::new(builder)
}

fn from_opendal(req: opendal::raw::PresignedRequest) -> PresignedRequest {
    PresignedRequest {
        method: req.method().to_string(),
        url: req.uri().to_string(),
        headers: req
            .header()
            .iter()
            .filter(|(name, _)| *name != poem::http::header::HOST)
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect(),
    }
}
