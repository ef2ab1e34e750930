//! sea-orm entities, one file per table.

pub mod account;
pub mod api_token;
pub mod cron_run;
pub mod estimate;
pub mod estimate_point;
pub mod instance_admin;
pub mod instance_configuration;
pub mod job_outbox;
pub mod job_probe_run;
pub mod label;
pub mod project;
pub mod project_member;
pub mod state;
pub mod user;
pub mod workspace;
pub mod workspace_invite;
pub mod workspace_member;
