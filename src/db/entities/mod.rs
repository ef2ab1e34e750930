//! sea-orm entities, one file per table.

pub mod cron_run;
pub mod instance_configuration;
pub mod job_probe_run;
