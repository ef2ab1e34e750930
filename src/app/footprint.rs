//! What a start adds to the file system, so that a start that fails takes exactly that away
//! again: folders it created, entries new in the data folder, database files it made. Anything
//! that was there before is never touched.

use std::{
    collections::HashSet,
    ffi::OsString,
    io::ErrorKind,
    path::{Path, PathBuf},
};

/// Folders created on the way to a path (`create_dir_all`), removed again only while empty.
#[derive(Debug)]
pub struct NewFolders {
    path: PathBuf,
    /// The outermost folder that did not exist; None when `path` existed already.
    outermost: Option<PathBuf>,
}

impl NewFolders {
    /// Creates `path` and its missing parents, remembering which ones were missing.
    pub fn create(path: &Path) -> std::io::Result<NewFolders> {
        let mut outermost = None;
        for ancestor in path.ancestors() {
            if ancestor.as_os_str().is_empty() || ancestor.exists() {
                break;
            }
            outermost = Some(ancestor.to_path_buf());
        }
        let folders = NewFolders {
            path: path.to_path_buf(),
            outermost,
        };
        if let Err(e) = std::fs::create_dir_all(path) {
            folders.remove_if_empty();
            return Err(e);
        }
        Ok(folders)
    }

    pub fn created(&self) -> bool {
        self.outermost.is_some()
    }

    /// Removes the created folders, innermost first, stopping at the first that is not empty
    /// (something else put a file there: it stays, and so do the folders holding it).
    pub fn remove_if_empty(&self) {
        let Some(outermost) = &self.outermost else {
            return;
        };
        for folder in self.path.ancestors() {
            if std::fs::remove_dir(folder).is_err_and(|e| e.kind() != ErrorKind::NotFound) {
                return;
            }
            if folder == outermost {
                return;
            }
        }
    }
}

/// The entries of a folder at one moment; later, removes the ones that are new.
#[derive(Debug)]
pub struct NewEntries {
    path: PathBuf,
    before: HashSet<OsString>,
}

impl NewEntries {
    pub fn snapshot(path: &Path) -> std::io::Result<NewEntries> {
        let before = std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        Ok(NewEntries {
            path: path.to_path_buf(),
            before,
        })
    }

    /// Removes every entry (with its contents) that was not there at the snapshot, except
    /// those named in `keep`.
    pub fn remove(&self, keep: &[&str]) {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if self.before.contains(&name) || keep.iter().any(|k| name == *k) {
                continue;
            }
            remove_entry(&entry.path());
        }
    }
}

/// A SQLite database's files (the database and its journals) that do not exist yet.
#[derive(Debug, Default)]
pub struct NewDatabaseFiles(Vec<PathBuf>);

impl NewDatabaseFiles {
    pub fn note(database: &Path) -> NewDatabaseFiles {
        let files = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut name = database.as_os_str().to_owned();
                name.push(suffix);
                PathBuf::from(name)
            })
            .filter(|file| std::fs::symlink_metadata(file).is_err())
            .collect();
        NewDatabaseFiles(files)
    }

    /// Removes them; call it once the database is closed.
    pub fn remove(&self) {
        for file in &self.0 {
            remove_entry(file);
        }
    }
}

/// Removes a file, or a folder with its contents; a symlink itself, never what it points to.
fn remove_entry(path: &Path) {
    let _ = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_folders_go_and_existing_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        let folders = NewFolders::create(&deep).unwrap();
        assert!(folders.created() && deep.is_dir());
        folders.remove_if_empty();
        assert!(
            !dir.path().join("a").exists(),
            "every created parent is removed"
        );
        assert!(dir.path().exists());

        let existing = NewFolders::create(dir.path()).unwrap();
        assert!(!existing.created());
        existing.remove_if_empty();
        assert!(dir.path().exists());
    }

    #[test]
    fn a_folder_holding_someone_elses_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let folders = NewFolders::create(&dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/theirs"), "x").unwrap();
        folders.remove_if_empty();
        assert!(!dir.path().join("a/b").exists());
        assert!(dir.path().join("a/theirs").exists());
    }

    #[test]
    fn only_new_entries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), "x").unwrap();
        std::fs::create_dir(dir.path().join("old-dir")).unwrap();
        let entries = NewEntries::snapshot(dir.path()).unwrap();
        std::fs::write(dir.path().join("old-dir/added-inside"), "x").unwrap();
        std::fs::write(dir.path().join("new"), "x").unwrap();
        std::fs::write(dir.path().join("kept"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("new-dir/sub")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("old-dir"), dir.path().join("link")).unwrap();
        entries.remove(&["kept"]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["kept", "old", "old-dir"]);
        assert!(
            dir.path().join("old-dir/added-inside").exists(),
            "a link's target is untouched"
        );
    }

    #[test]
    fn only_database_files_that_were_missing_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("plane.db");
        std::fs::write(dir.path().join("plane.db-wal"), "x").unwrap();
        let files = NewDatabaseFiles::note(&db);
        for name in ["plane.db", "plane.db-shm", "other"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        files.remove();
        assert!(!db.exists() && !dir.path().join("plane.db-shm").exists());
        assert!(dir.path().join("plane.db-wal").exists());
        assert!(dir.path().join("other").exists());
    }
}
