//! The rules: who may do what, and what an action does, independent of HTTP and SQL.

pub mod access;
pub mod accounts;
pub mod auth_codes;
pub mod codes;
pub mod crypto;
pub mod email;
pub mod estimates;
pub mod instance;
pub mod invitations;
pub mod oauth;
pub mod password;
pub mod problem;
pub mod project_data;
pub mod projects;
pub mod rate_limit;
pub mod sessions;
pub mod timezones;
pub mod tokens;
pub mod workspaces;
