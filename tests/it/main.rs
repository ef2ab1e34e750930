//! Integration tests: the real server, over HTTP, on SQLite and on Postgres.
//! `PLANE_TEST_LOG=1` prints the child servers' logs.

mod support;

mod accounts;
mod admin_cli;
mod admin_cli_workspaces;
mod api_helpers;
mod api_keys;
mod api_tokens;
mod archived_writes;
mod auth_hardening;
mod auth_rules;
mod authorization;
mod bad_bodies;
mod cli;
mod clock_skew;
mod compat;
mod cron;
mod deletion_races;
mod doctor;
mod durability;
mod email;
mod estimates;
mod expiry;
mod http_basics;
mod invitation_mail;
mod invitations;
mod jobs;
mod kv;
mod mail_delivery;
mod migrations;
mod oauth;
mod postgres_pool;
mod profile;
mod project_data;
mod project_members;
mod projects;
mod races;
mod request_log;
mod shared_cache;
mod shutdown;
mod storage;
mod tls;
mod web_ui;
mod workspaces;
