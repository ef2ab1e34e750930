//! The data folder: created on first start, locked by the one `serve` process that owns it.
//!
//! The lock is an advisory file lock (`flock`) on `plane-aio.lock`, holding the owner's pid: the
//! kernel drops it when the process dies, however it dies, so a crash never leaves a stale lock.

use std::{
    fs::{File, OpenOptions},
    io::{ErrorKind, Read, Seek, Write},
    path::{Path, PathBuf},
};

use super::footprint::{NewEntries, NewFolders};

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
    /// Folders this process created (so a failed first start can remove them).
    folders: NewFolders,
    /// What the folder held when the lock was taken: a failed start removes the rest.
    entries: NewEntries,
    /// Whether this process made the lock file.
    lock_created: bool,
    lock: File,
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
        // A lock won on a lock file that a failed start was removing meanwhile guards nothing:
        // open again (a few times at most), and the lock file found then is the one in place.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Self::open_once(path)? {
                Some(dir) => return Ok(dir),
                None if attempts < 3 => continue,
                None => {
                    return Err(DataDirError::Io {
                        path: path.to_path_buf(),
                        reason: "its lock file keeps being replaced by other starts".into(),
                    });
                }
            }
        }
    }

    /// One attempt of [`DataDir::open`]; None when the locked file was no longer the folder's.
    fn open_once(path: &Path) -> Result<Option<DataDir>, DataDirError> {
        let io = |e: std::io::Error| DataDirError::Io {
            path: path.to_path_buf(),
            reason: describe_io(&e),
        };
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_dir() => {
                return Err(DataDirError::Io {
                    path: path.to_path_buf(),
                    reason: "exists and is not a folder".into(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let folders = NewFolders::create(path).map_err(io)?;
        // A new data folder is the service user's alone: it holds the database, the sessions
        // and the TLS keys (files inside are made with the default mode).
        #[cfg(unix)]
        if folders.created() {
            use std::os::unix::fs::PermissionsExt;
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)) {
                folders.remove_if_empty();
                return Err(io(e));
            }
        }
        let lock_path = path.join(LOCK_FILE);
        // Before the lock is held: takes away only the lock file this process made and the
        // folders it made, while empty.
        let undo = |lock_created: bool| {
            if lock_created {
                let _ = std::fs::remove_file(&lock_path);
            }
            folders.remove_if_empty();
        };
        let options = |create_new: bool| {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(create_new);
            options
        };
        let opened = match options(true).open(&lock_path) {
            Ok(file) => Ok((file, true)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                options(false).open(&lock_path).map(|file| (file, false))
            }
            Err(e) => Err(e),
        };
        let (mut file, lock_created) = opened.map_err(|e| {
            undo(false);
            io(e)
        })?;
        match file.try_lock() {
            Ok(()) => {}
            // Someone else's folder now, even when this process made it: touch nothing.
            Err(std::fs::TryLockError::WouldBlock) => return Err(Self::in_use(path, &mut file)),
            Err(std::fs::TryLockError::Error(e)) => {
                undo(lock_created);
                return Err(io(e));
            }
        }
        if !is_same_file(&file, &lock_path) {
            drop(file);
            // The file now at the path is another start's: leave it.
            undo(false);
            return Ok(None);
        }
        // Looked at only once locked: whatever is here now belongs to an earlier owner or to
        // the operator, never to this start.
        let entries = NewEntries::snapshot(path).map_err(|e| {
            undo(lock_created);
            io(e)
        })?;
        let dir = DataDir {
            path: path.to_path_buf(),
            folders,
            entries,
            lock_created,
            lock: file,
        };
        match dir.record_pid() {
            Ok(()) => Ok(Some(dir)),
            Err(e) => {
                let e = io(e);
                dir.abandon();
                Err(e)
            }
        }
    }

    fn record_pid(&self) -> std::io::Result<()> {
        let mut file = &self.lock;
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes what this process added to the folder (the folder too when it made it), so a
    /// start that failed half-way leaves nothing behind, then releases the lock. What was
    /// there before stays as it was.
    pub fn abandon(self) {
        let DataDir {
            path,
            folders,
            entries,
            lock_created,
            lock,
        } = self;
        // Removed while still locked, so no other start can have begun using them.
        entries.remove(&[LOCK_FILE]);
        if lock_created {
            let _ = std::fs::remove_file(path.join(LOCK_FILE));
        }
        folders.remove_if_empty();
        drop(lock);
    }
}

/// Whether the open `file` is the one now at `path` (same device and inode).
fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
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

    #[cfg(unix)]
    #[test]
    fn a_new_folder_is_the_owners_alone_and_an_existing_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh");
        drop(DataDir::open(&fresh).unwrap());
        assert_eq!(mode(&fresh), 0o700);
        let existing = dir.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o750)).unwrap();
        drop(DataDir::open(&existing).unwrap());
        assert_eq!(mode(&existing), 0o750);
    }

    #[test]
    fn a_lock_file_replaced_after_opening_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, "1").unwrap();
        let opened = File::open(&path).unwrap();
        assert!(is_same_file(&opened, &path));
        // Removed by a failing start, then made afresh by another one.
        std::fs::remove_file(&path).unwrap();
        assert!(!is_same_file(&opened, &path));
        std::fs::write(&path, "2").unwrap();
        assert!(!is_same_file(&opened, &path));
    }

    fn entries(path: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn abandoning_a_new_folder_removes_it_and_its_new_parents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/fresh");
        let data = DataDir::open(&path).unwrap();
        std::fs::write(path.join("plane.db"), "x").unwrap();
        std::fs::create_dir_all(path.join("kv/journals")).unwrap();
        data.abandon();
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn abandoning_an_existing_folder_removes_only_what_was_added() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::create_dir(&path).unwrap();
        DataDir::open(&path).unwrap().abandon();
        assert!(path.exists(), "an existing folder is kept");
        assert_eq!(entries(&path), Vec::<String>::new(), "and left empty");

        std::fs::write(path.join("notes.txt"), "mine").unwrap();
        std::fs::create_dir(path.join("uploads")).unwrap();
        let data = DataDir::open(&path).unwrap();
        for file in ["plane.db", "queue.db", "uploads/new.bin"] {
            std::fs::write(path.join(file), "x").unwrap();
        }
        std::fs::create_dir(path.join("kv")).unwrap();
        data.abandon();
        assert_eq!(entries(&path), ["notes.txt", "uploads"]);
        assert_eq!(
            std::fs::read_to_string(path.join("notes.txt")).unwrap(),
            "mine"
        );

        // A lock file left by an earlier server stays too.
        let data = DataDir::open(&path).unwrap();
        drop(data);
        let data = DataDir::open(&path).unwrap();
        data.abandon();
        assert_eq!(entries(&path), ["notes.txt", "plane-aio.lock", "uploads"]);
    }

    #[test]
    fn a_folder_in_use_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let owner = DataDir::open(&path).unwrap();
        std::fs::write(path.join("plane.db"), "x").unwrap();
        assert!(matches!(
            DataDir::open(&path),
            Err(DataDirError::InUse { .. })
        ));
        assert_eq!(entries(&path), ["plane-aio.lock", "plane.db"]);
        drop(owner);
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
