//! The command line: `serve`, `migrate`, `config`, `version`, `admin`, `jobs`, `doctor`.
//!
//! Exit codes: 0 success, 1 a failure (one `error: …` line on stderr), 2 a usage error (clap).

mod admin;
mod admin_tokens;
mod flags;
mod ops;
mod ready;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

pub use flags::{AllFlags, DataFlags};

use crate::{
    config::{Settings, keys::CONFIG_FILE_ENV},
    telemetry::Output,
};

#[derive(Debug, Parser)]
#[command(
    name = "plane-aio",
    version,
    about = "Plane, the open-source project-management tool, in one executable",
    long_about = "Plane, the open-source project-management tool, in one executable: web UI, REST API, \
background jobs, scheduled jobs, key-value store and file storage in one process, with all data in one \
folder (SQLite) or in Postgres.\n\nStart with `plane-aio serve` and open http://127.0.0.1:8080.",
    after_help = "Configuration precedence: flags > PLANE_AIO_* environment variables > config file > defaults.\n\
`plane-aio config` prints the effective configuration and where each value comes from."
)]
pub struct Cli {
    /// Configuration file (TOML; the keys are the flag names with underscores), or
    /// PLANE_AIO_CONFIG. Default: ./plane-aio.toml when present.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Commands,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Start the server: web UI, API, background jobs and scheduled jobs in one process.
    Serve(AllFlags),
    /// Apply pending database migrations and exit (serve also applies them at start).
    Migrate(DataFlags),
    /// Print the effective configuration (secrets redacted) and where each value comes from.
    Config(AllFlags),
    /// Print the version.
    Version,
    /// Inspect and repair the background job queue.
    Jobs {
        #[command(subcommand)]
        command: ops::JobsCommand,
    },
    /// Manage accounts: create users and tokens, reset passwords, disable users.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Check that the parts of an installation work.
    Doctor {
        #[command(subcommand)]
        command: ops::DoctorCommand,
    },
}

/// The exit status of a configuration that cannot work (sysexits' EX_CONFIG): the systemd
/// unit does not restart on it, as no restart would help.
pub const EXIT_BAD_CONFIGURATION: u8 = 78;

/// The one line printed for a failure.
fn report(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", format!("{error:#}").replace('\n', " "));
    if error.downcast_ref::<crate::config::ConfigError>().is_some() {
        ExitCode::from(EXIT_BAD_CONFIGURATION)
    } else {
        ExitCode::FAILURE
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    keep_memory_in_small_pages();
    crate::db::configure_sqlite_library();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Transparent huge pages off for this process: with them (many kernels default to `always`),
/// the allocator's partly used regions are backed by whole 2 MiB pages, which more than doubled
/// the idle resident memory for no measurable gain.
fn keep_memory_in_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn settings(
    config: &Option<PathBuf>,
    flags: &[(&'static str, String)],
) -> anyhow::Result<Settings> {
    // `--config`, else PLANE_AIO_CONFIG; empty, the variable is unset, as every PLANE_AIO_* one
    // (`PLANE_AIO_CONFIG=${PLANE_AIO_CONFIG}` in a compose file).
    let from_env = std::env::var_os(CONFIG_FILE_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from);
    Ok(Settings::load(
        config.as_deref().or(from_env.as_deref()),
        flags,
    )?)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Commands::Version => {
            println!(
                "plane-aio {} ({})",
                env!("CARGO_PKG_VERSION"),
                env!("PLANE_BUILD_GIT_REVISION")
            );
            Ok(ExitCode::SUCCESS)
        }
        Commands::Config(flags) => {
            let settings = settings(&cli.config, &flags.0)?;
            print!("{}", ops::describe_config(&settings));
            Ok(ExitCode::SUCCESS)
        }
        Commands::Serve(flags) => {
            let settings = settings(&cli.config, &flags.0)?;
            crate::telemetry::init(settings.log_format, &settings.log_level, Output::Stdout);
            ops::serve(settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Commands::Migrate(flags) => {
            let settings = settings(&cli.config, &flags.0)?;
            crate::telemetry::init(settings.log_format, &settings.log_level, Output::Stderr);
            ops::migrate(&settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Commands::Jobs { command } => {
            let flags = command.flags();
            let settings = settings(&cli.config, &flags.0)?;
            crate::telemetry::init(
                settings.log_format,
                settings.tool_log_level(),
                Output::Stderr,
            );
            ops::jobs(&settings, command).await
        }
        Commands::Admin { command } => {
            let flags = command.flags();
            let settings = settings(&cli.config, &flags.0)?;
            crate::telemetry::init(
                settings.log_format,
                settings.tool_log_level(),
                Output::Stderr,
            );
            admin::run(&settings, command).await
        }
        Commands::Doctor { command } => {
            let flags = command.flags();
            let settings = settings(&cli.config, &flags.0)?;
            crate::telemetry::init(
                settings.log_format,
                settings.tool_log_level(),
                Output::Stderr,
            );
            ops::doctor(&settings, command).await
        }
    }
}
