//! sea-orm entities, one file per table.

pub mod account;
pub mod api_token;
pub mod cron_run;
pub mod instance_admin;
pub mod instance_configuration;
pub mod job_probe_run;
pub mod user;
