//! The data folder: created on first start, locked by the one `serve` process that owns it.
//!
//! The lock is an advisory file lock (`flock`) on `plane-aio.lock`, holding the owner's pid: the
//! kernel drops it when the process dies, however it dies, so a crash never leaves a stale lock.

use std::{
    fs::{File, OpenOptions},
    io::{ErrorKind, Read, Seek, Write},
    path::{Path, PathBuf},
};

pub const LOCK_FILE: &str = "plane-aio.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("data folder {} is in use by pid {pid}", path.display())]
    InUse { path: PathBuf, pid: String },
    #[error("data folder {}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
}

/// Holds the lock for as long as it lives.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// True when this process created the folder (so a failed first start can remove it).
    created: bool,
    _lock: File,
}

/// One readable reason for an I/O failure on the data folder.
pub fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        ErrorKind::PermissionDenied => {
            "permission denied (check the owner and mode of the folder)".into()
        }
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        ErrorKind::StorageFull => "the disk is full".into(),
        ErrorKind::NotADirectory => "a path component is a file, not a folder".into(),
        _ => error.to_string(),
    }
}

/// Bytes available to this process on the file system holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory
    // of the right type; statvfs fills it only when it returns 0.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so the struct is initialised.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

impl DataDir {
    /// Fails with [`DataDirError::InUse`] when another process holds the folder's lock; touches
    /// nothing. Start-up asks this before binding its ports, so a second `serve` with the same
    /// settings names the folder's owner rather than the port it also holds.
    pub fn ensure_free(path: &Path) -> Result<(), DataDirError> {
        let Ok(mut file) = File::open(path.join(LOCK_FILE)) else {
            return Ok(()); // no folder or no lock file yet: nobody holds it
        };
        match file.try_lock_shared() {
            Err(std::fs::TryLockError::WouldBlock) => Err(Self::in_use(path, &mut file)),
            // Free (the shared lock drops with `file`), or unlockable here: `open` reports
            // any real problem when it takes the lock.
            _ => Ok(()),
        }
    }

    fn in_use(path: &Path, file: &mut File) -> DataDirError {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = pid.trim();
        DataDirError::InUse {
            path: path.to_path_buf(),
            pid: if pid.is_empty() {
                "unknown".into()
            } else {
                pid.to_string()
            },
        }
    }

    /// Creates the folder if needed and takes its lock.
    pub fn open(path: &Path) -> Result<DataDir, DataDirError> {
        let io = |e: std::io::Error| DataDirError::Io {
            path: path.to_path_buf(),
            reason: describe_io(&e),
        };
        let created = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => false,
            Ok(_) => {
                return Err(DataDirError::Io {
                    path: path.to_path_buf(),
                    reason: "exists and is not a folder".into(),
                });
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                std::fs::create_dir_all(path).map_err(io)?;
                true
            }
            Err(e) => return Err(io(e)),
        };
        let result = Self::lock(path, created);
        if result.is_err() && created {
            let _ = std::fs::remove_dir_all(path);
        }
        result
    }

    fn lock(path: &Path, created: bool) -> Result<DataDir, DataDirError> {
        let io = |e: std::io::Error| DataDirError::Io {
            path: path.to_path_buf(),
            reason: describe_io(&e),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(Self::in_use(path, &mut file)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(DataDir {
            path: path.to_path_buf(),
            created,
            _lock: file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock; when this process created the folder, removes it as well, so a
    /// first start that failed half-way leaves nothing behind.
    pub fn abandon(self) {
        let DataDir {
            path,
            created,
            _lock,
        } = self;
        drop(_lock);
        if created {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_names_the_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let first = DataDir::open(&path).unwrap();
        let err = DataDir::open(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!("is in use by pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(DataDir::open(&path).is_ok());
    }

    #[test]
    fn abandoning_a_new_folder_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh");
        DataDir::open(&path).unwrap().abandon();
        assert!(!path.exists());
        std::fs::create_dir(&path).unwrap();
        DataDir::open(&path).unwrap().abandon();
        assert!(path.exists(), "an existing folder is kept");
    }

    #[test]
    fn a_file_in_the_way_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, "x").unwrap();
        let err = DataDir::open(&path).unwrap_err().to_string();
        assert!(err.contains("not a folder"), "{err}");
    }
}
