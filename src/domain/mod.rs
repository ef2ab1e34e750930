//! The rules: who may do what, and what an action does, independent of HTTP and SQL.

pub mod accounts;
pub mod codes;
pub mod crypto;
pub mod email;
pub mod instance;
pub mod oauth;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod tokens;
