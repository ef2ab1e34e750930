//! A data folder (and, on Postgres, a fresh database) served by `plane-aio serve` child
//! processes that a test can kill and start again, with the CLI pointed at the same data.

use plane_aio::db;

use super::{
    Engine, PgDatabase,
    process::{self, Server},
};

pub struct Node {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Node {
    pub async fn new(engine: Engine) -> Node {
        Node {
            dir: tempfile::tempdir().unwrap(),
            pg: match engine {
                Engine::Postgres => Some(PgDatabase::create().await),
                Engine::Sqlite => None,
            },
        }
    }

    pub fn data_args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".to_string(),
            self.dir.path().join("data").display().to_string(),
        ];
        if let Some(pg) = &self.pg {
            args.extend(["--database-url".to_string(), pg.url.clone()]);
        }
        args
    }

    /// Starts a server on an ephemeral port and waits until it listens.
    pub fn serve(&self, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = self.data_args();
        args.extend(["--listen".into(), "127.0.0.1:0".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Server::start(&args, env, self.dir.path())
    }

    /// Runs a CLI command on this node's data.
    pub fn cli(&self, command: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let data = self.data_args();
        let mut args: Vec<&str> = command.to_vec();
        args.extend(data.iter().map(String::as_str));
        process::run(&args, env, self.dir.path())
    }

    /// The node's app database, opened as the CLI opens it (close it when done).
    pub async fn database(&self) -> db::Db {
        let settings = plane_aio::config::Settings::from_flags(&[
            (
                "data_dir",
                self.dir.path().join("data").display().to_string(),
            ),
            (
                "database_url",
                self.pg.as_ref().map(|p| p.url.clone()).unwrap_or_default(),
            ),
        ])
        .unwrap();
        db::Db::connect(&settings.database).await.unwrap()
    }
}
