//! Query results kept in memory for as long as the database has not changed.
//!
//! A [`Memo`] keeps results tagged with the database's change version
//! ([`super::change_watch`]: SQLite's `data_version`, or Postgres's change counter that every
//! node's and the CLI's commits move) and drops them all when it moves, so a cached answer is
//! never older than the last write committed before the request arrived: a revoked token or a
//! new project is seen by the very next request, on every node.

use std::{
    collections::HashMap,
    hash::Hash,
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

/// Rough heap bytes of a row as sea-orm loads it, besides its long text and JSON, which
/// [`project_bytes`] and the like add: the memos' byte budget must hold however large a
/// description a client wrote.
const ROW_BYTES: usize = 1024;

fn json_bytes(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::String(s) => 24 + s.len(),
        Value::Array(items) => 24 + items.iter().map(json_bytes).sum::<usize>(),
        Value::Object(map) => {
            48 + map
                .iter()
                .map(|(k, v)| 24 + k.len() + json_bytes(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}

fn project_bytes(p: &Project) -> usize {
    let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
    let json = |j: &Option<serde_json::Value>| j.as_ref().map_or(0, json_bytes);
    ROW_BYTES
        + p.name.len()
        + p.description.len()
        + text(&p.description_html)
        + text(&p.cover_image)
        + json(&p.icon_prop)
        + json(&p.logo_props)
}

impl Default for Memos {
    fn default() -> Memos {
        Memos {
            tokens: Memo::default(),
            users: Memo::default(),
            workspace_entries: Memo::weighed(|(slug, _), _| ROW_BYTES + slug.len()),
            project_entries: Memo::weighed(|_, entry| {
                entry.as_ref().map_or(0, |(p, _)| project_bytes(p))
            }),
            project_lists: Memo::weighed(|_, (rows, _, _)| {
                rows.iter().map(|(p, _)| project_bytes(p)).sum()
            }),
            state_pages: Memo::weighed(|_, (rows, _)| {
                rows.iter()
                    .map(|s| ROW_BYTES + s.name.len() + s.description.len())
                    .sum()
            }),
            label_pages: Memo::weighed(|_, (rows, _)| {
                rows.iter()
                    .map(|l| ROW_BYTES + l.name.len() + l.description.len())
                    .sum()
            }),
        }
    }
}

impl std::fmt::Debug for Memos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memos")
    }
}

/// What one memo may hold: entries, and bytes as its `weigh` estimates them. Beyond either it
/// starts afresh (the simplest bound that keeps memory flat under any key mix); a single value
/// over an eighth of the byte budget is never kept.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 32 << 20;

/// One key's result, loaded once: concurrent requests for a key wait for the first one's load
/// instead of all running the same query (after every write, all of them would miss at once).
type Slot<V> = Arc<tokio::sync::OnceCell<Arc<V>>>;

struct Entries<K, V> {
    version: i64,
    map: HashMap<K, Slot<V>>,
    bytes: usize,
}

impl<K, V> Entries<K, V> {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

/// Results of one kind of query by key, valid while the database version stays the same.
pub struct Memo<K, V> {
    entries: Mutex<Entries<K, V>>,
    weigh: fn(&K, &V) -> usize,
}

impl<K: Eq + Hash + Clone, V> Default for Memo<K, V> {
    /// For small values of about one size, bounded by the entry count alone.
    fn default() -> Self {
        Memo::weighed(|_, _| 0)
    }
}

impl<K: Eq + Hash + Clone, V> Memo<K, V> {
    /// A memo whose entries vary in size: `weigh` estimates an entry's bytes (key and value).
    pub fn weighed(weigh: fn(&K, &V) -> usize) -> Self {
        Memo {
            entries: Mutex::new(Entries {
                version: i64::MIN,
                map: HashMap::new(),
                bytes: 0,
            }),
            weigh,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The remembered result for `key`, or `load`'s. The version is read *before* loading, so
    /// a write that lands during the load makes the entry stale at once rather than hiding the
    /// write; a request that starts after a commit never sees an answer loaded before it.
    pub async fn get_or_load<E, F, Fut>(&self, db: &Db, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let Some(version) = db.watch.version().await else {
            return load().await.map(Arc::new);
        };
        let slot = {
            let mut entries = self.lock();
            // The version only grows; a request that read it just before another one moved
            // the memo on loads for itself and leaves the newer entries alone.
            if version < entries.version {
                None
            } else {
                if version > entries.version {
                    entries.clear();
                    entries.version = version;
                }
                if let Some(value) = entries.map.get(&key).and_then(|slot| slot.get()) {
                    return Ok(value.clone());
                }
                if entries.map.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                Some(entries.map.entry(key.clone()).or_default().clone())
            }
        };
        let Some(slot) = slot else {
            return load().await.map(Arc::new);
        };
        // A failed load leaves the slot empty: the next caller tries again.
        let mut loaded_here = false;
        let loaded = slot
            .get_or_try_init(|| async {
                loaded_here = true;
                load().await.map(Arc::new)
            })
            .await;
        let value = match loaded {
            Ok(value) => value.clone(),
            Err(e) => {
                // An empty slot would keep its key outside the byte budget, and keys carry
                // what clients send (a refused 60 KB `order_by` each time).
                let mut entries = self.lock();
                // Only while no other request waits on the slot (the map and this request hold
                // it): a waiter retries the load in it, and its result is to be kept.
                let still_empty = entries.map.get(&key).is_some_and(|kept| {
                    Arc::ptr_eq(kept, &slot) && kept.get().is_none() && Arc::strong_count(kept) <= 2
                });
                if still_empty {
                    entries.map.remove(&key);
                }
                return Err(e);
            }
        };
        if loaded_here {
            let weight = (self.weigh)(&key, &value);
            let mut entries = self.lock();
            if entries.version == version {
                if weight > MAX_BYTES / 8 {
                    entries.map.remove(&key);
                } else {
                    entries.bytes += weight;
                    if entries.bytes > MAX_BYTES {
                        entries.clear();
                    }
                }
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::config::DatabaseSettings;

    async fn sqlite(dir: &tempfile::TempDir) -> (Db, DatabaseSettings) {
        let settings = DatabaseSettings::Sqlite {
            path: dir.path().join("memo.db"),
        };
        let db = Db::connect(&settings).await.unwrap();
        db.conn
            .execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .unwrap();
        (db, settings)
    }

    #[tokio::test]
    async fn remembers_until_any_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let (db, settings) = sqlite(&dir).await;
        let memo: Memo<u8, usize> = Memo::default();
        let loads = AtomicUsize::new(0);
        let load = || async { Ok::<_, ()>(loads.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(*memo.get_or_load(&db, 1, load).await.unwrap(), 1);
        assert_eq!(*memo.get_or_load(&db, 1, load).await.unwrap(), 1);
        assert_eq!(loads.load(Ordering::SeqCst), 1);

        // A commit through another pool (as the admin CLI would make) is seen at once.
        let other = Db::connect(&settings).await.unwrap();
        other
            .conn
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        assert_eq!(*memo.get_or_load(&db, 1, load).await.unwrap(), 2);
        // And one through this process's own pool.
        db.conn
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .unwrap();
        assert_eq!(*memo.get_or_load(&db, 1, load).await.unwrap(), 3);
        assert_eq!(*memo.get_or_load(&db, 1, load).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_request_reads_the_version_once_until_this_process_commits() {
        let dir = tempfile::tempdir().unwrap();
        let (db, settings) = sqlite(&dir).await;
        let DatabaseSettings::Sqlite { path } = &settings else {
            unreachable!()
        };
        // A connection without the commit hook: another process's commit.
        let outside = rusqlite::Connection::open(path).unwrap();
        let started = std::time::Instant::now();
        super::super::change_watch::since_request_start(started, async {
            let first = db.watch.version().await.unwrap();
            outside.execute("INSERT INTO t VALUES (1)", []).unwrap();
            assert_eq!(
                db.watch.version().await.unwrap(),
                first,
                "the request reuses its reading"
            );
            db.conn
                .execute_unprepared("INSERT INTO t VALUES (2)")
                .await
                .unwrap();
            assert!(
                db.watch.version().await.unwrap() > first,
                "its own commit makes it read again"
            );
        })
        .await;
        let before = db.watch.version().await.unwrap();
        outside.execute("INSERT INTO t VALUES (3)", []).unwrap();
        assert!(
            db.watch.version().await.unwrap() > before,
            "outside a request every reading is fresh"
        );
    }

    #[tokio::test]
    async fn concurrent_misses_load_once_and_failures_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = sqlite(&dir).await;
        let memo: Memo<u8, usize> = Memo::default();
        let loads = AtomicUsize::new(0);
        let slow = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok::<_, ()>(7)
        };
        let (a, b, c) = tokio::join!(
            memo.get_or_load(&db, 1, slow),
            memo.get_or_load(&db, 1, slow),
            memo.get_or_load(&db, 1, slow)
        );
        assert_eq!((*a.unwrap(), *b.unwrap(), *c.unwrap()), (7, 7, 7));
        assert_eq!(loads.load(Ordering::SeqCst), 1);

        let failed = memo.get_or_load(&db, 2, || async { Err::<usize, _>("down") });
        assert_eq!(failed.await.unwrap_err(), "down");
        assert!(
            !memo.lock().map.contains_key(&2),
            "a failed load keeps no slot (nor its key)"
        );
        let retried = memo.get_or_load(&db, 2, || async { Ok::<_, &str>(8) });
        assert_eq!(*retried.await.unwrap(), 8);
    }

    #[tokio::test]
    async fn large_values_are_not_kept_and_the_byte_budget_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = sqlite(&dir).await;
        let memo: Memo<usize, Vec<u8>> = Memo::weighed(|_, value| value.len());
        let loads = AtomicUsize::new(0);
        let big = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(vec![0; MAX_BYTES / 8 + 1])
        };
        memo.get_or_load(&db, 0, big).await.unwrap();
        memo.get_or_load(&db, 0, big).await.unwrap();
        assert_eq!(
            loads.load(Ordering::SeqCst),
            2,
            "an oversized value was kept"
        );

        for key in 1..40 {
            let value = || async { Ok::<_, ()>(vec![0; MAX_BYTES / 10]) };
            memo.get_or_load(&db, key, value).await.unwrap();
            assert!(memo.lock().bytes <= MAX_BYTES);
        }
    }
}
