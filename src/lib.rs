//! plane-aio: the whole of a self-hosted Plane in one executable.
//!
//! Module map (see `docs/architecture.md`): [`cli`] parses commands, [`config`] builds typed
//! settings, [`app`] wires the parts and runs them, [`http`] serves (middleware, TLS, web UI),
//! [`api`] answers the REST API, [`domain`] holds the rules, [`db`] the SQL, [`kv`] the
//! key-value store, [`jobs`] the background queue, [`cron`] scheduled jobs, [`mail`] email and
//! [`storage`] uploaded files.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod cron;
pub mod db;
pub mod domain;

pub mod http;
pub mod jobs;
pub mod kv;
pub mod mail;
pub mod storage;
pub mod telemetry;
