//! Integration tests: the real server, over HTTP, on SQLite and on Postgres.
//! `PLANE_TEST_LOG=1` prints the child servers' logs.

mod support;

mod api_helpers;
mod cli;
mod cron;
mod http_basics;
mod jobs;
mod kv;
mod storage;
mod tls;
mod web_ui;
