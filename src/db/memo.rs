//! Query results kept in memory for as long as the database has not changed.
//!
//! In SQLite mode one process owns the database (the data-folder lock), and SQLite can say
//! cheaply whether anything was committed since it last looked: `PRAGMA data_version` on a
//! connection of its own changes whenever any *other* connection commits — this process's pool
//! or the admin CLI alike. A [`Memo`] keeps results tagged with that version and drops them all
//! when it moves, so a cached answer is never older than the last committed write: a revoked
//! token or a new project is seen by the very next request.
//!
//! In Postgres mode several nodes share the database and no such signal exists, so nothing is
//! cached there: every read goes to the database.

use std::{
    collections::HashMap,
    hash::Hash,
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

use uuid::Uuid;

use super::{
    Db,
    api_tokens::ApiToken,
    labels::Label,
    project_members::ProjectMember,
    projects::{Project, ProjectOrder, Visibility},
    states::State,
    users::User,
    workspaces::Workspace,
};

/// The reads every API request makes (who is calling, which workspace and project) and the
/// lists this clients poll.
#[derive(Default)]
pub struct Memos {
    pub(super) tokens: Memo<String, Option<(ApiToken, Option<User>)>>,
    pub(super) users: Memo<Uuid, Option<User>>,
    pub(super) workspace_entries: Memo<(String, Uuid), Option<WorkspaceEntry>>,
    pub(super) project_entries: Memo<(Uuid, Uuid, Uuid), Option<ProjectEntry>>,
    pub(super) project_lists: Memo<ProjectListKey, ProjectList>,
    pub(super) state_pages: Memo<(Uuid, u64, u64), (Vec<State>, u64)>,
    pub(super) label_pages: Memo<(Uuid, u64, u64), (Vec<Label>, u64)>,
}

/// A workspace with the caller's membership of it.
pub(super) type WorkspaceEntry = (Workspace, Option<super::entities::workspace_member::Model>);
/// A project with the caller's membership of it.
pub(super) type ProjectEntry = (Project, Option<ProjectMember>);
/// Which project list: workspace, who sees it, order, offset and limit.
pub(super) type ProjectListKey = (Uuid, Visibility, ProjectOrder, u64, u64);
/// One page of projects with the viewer's memberships, the total, and member counts.
pub(super) type ProjectList = (
    Vec<(Project, Option<ProjectMember>)>,
    u64,
    HashMap<Uuid, u64>,
);

impl std::fmt::Debug for Memos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memos")
    }
}

/// Tells whether the SQLite database changed since the last look.
pub struct ChangeWatch {
    conn: Mutex<rusqlite::Connection>,
}

impl std::fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeWatch")
    }
}

impl ChangeWatch {
    /// A connection that only ever reads `data_version` (it never writes or holds a lock).
    pub fn open(path: &Path) -> Result<ChangeWatch, rusqlite::Error> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(ChangeWatch {
            conn: Mutex::new(conn),
        })
    }

    /// The current version; None when it cannot be read (then nothing is cached).
    pub fn version(&self) -> Option<i64> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let mut statement = conn.prepare_cached("PRAGMA data_version").ok()?;
        statement.query_row([], |row| row.get(0)).ok()
    }
}

/// Entries kept at most per memo; beyond it the memo starts afresh (the simplest bound that
/// keeps memory flat under any key mix).
const CAPACITY: usize = 4096;

/// One key's result, loaded once: concurrent requests for a key wait for the first one's load
/// instead of all running the same query (after every write, all of them would miss at once).
type Slot<V> = Arc<tokio::sync::OnceCell<Arc<V>>>;

struct Entries<K, V> {
    version: i64,
    map: HashMap<K, Slot<V>>,
}

/// Results of one kind of query by key, valid while the database version stays the same.
pub struct Memo<K, V> {
    entries: Mutex<Entries<K, V>>,
}

impl<K: Eq + Hash, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: Mutex::new(Entries {
                version: i64::MIN,
                map: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V> Memo<K, V> {
    /// The remembered result for `key`, or `load`'s. The version is read *before* loading, so
    /// a write that lands during the load makes the entry stale at once rather than hiding the
    /// write; a request that starts after a commit never sees an answer loaded before it.
    pub async fn get_or_load<E, F, Fut>(&self, db: &Db, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let Some(version) = db.watch.as_ref().and_then(|w| w.version()) else {
            return load().await.map(Arc::new);
        };
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            // The version only grows; a request that read it just before another one moved
            // the memo on loads for itself and leaves the newer entries alone.
            if version < entries.version {
                None
            } else {
                if version > entries.version {
                    entries.map.clear();
                    entries.version = version;
                }
                if let Some(value) = entries.map.get(&key).and_then(|slot| slot.get()) {
                    return Ok(value.clone());
                }
                if entries.map.len() >= CAPACITY {
                    entries.map.clear();
                }
                Some(entries.map.entry(key).or_default().clone())
            }
        };
        let Some(slot) = slot else {
            return load().await.map(Arc::new);
        };
        // A failed load leaves the slot empty: the next caller tries again.
        let value = slot
            .get_or_try_init(|| async { load().await.map(Arc::new) })
            .await?;
        Ok(value.clone())
    }
}
