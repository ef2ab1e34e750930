//! What the commands do. They open the database and the queue directly (never the running
//! server's locked folder parts), so they work while `serve` runs; `migrate` on SQLite is the
//! exception (see [`migrate`]).

use std::{fmt::Write as _, process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use clap::Subcommand;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::DataFlags;
use crate::{
    app::{
        self, Application, DataDir,
        data_dir::DataDirError,
        footprint::{NewDatabaseFiles, NewFolders},
    },
    config::{DatabaseSettings, Settings, keys, layers::Source},
    db::{self, Db},
    jobs::{Job, JobQueue, StatusFilter},
};

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// pending, running, done, failed (will retry), dead, or all.
        #[arg(long, default_value = "all", value_parser = ["all", "pending", "running", "done", "failed", "dead"])]
        status: String,
        /// How many to show.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10000))]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Put a dead or failed job back in the queue with a fresh attempt budget.
    Retry {
        /// The job id, as `jobs list` shows it.
        id: String,
        #[command(flatten)]
        flags: DataFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum DoctorCommand {
    /// Send a probe job through the queue and wait until a running server has run it.
    Queue {
        /// Make the probe fail its first N attempts, to watch retries and the dead state.
        #[arg(long, default_value_t = 0)]
        fail_first: u32,
        /// Run the probe only after this long (e.g. 5s).
        #[arg(long, value_parser = humantime::parse_duration)]
        delay: Option<Duration>,
        /// Keep each attempt running this long (e.g. 2m, at most 1h): kill the node that took
        /// it and watch another worker take it over after `job_orphan_timeout`.
        #[arg(long, value_parser = humantime::parse_duration)]
        hold: Option<Duration>,
        /// Enqueue and exit without waiting.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the probe to run.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        timeout: Duration,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Ask the server running on this machine (at its configured listener) whether it is
    /// ready: exit 0 when `/readyz` answers 200. For container health checks.
    Ready {
        /// How long to wait for the answer.
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        timeout: Duration,
        #[command(flatten)]
        flags: DataFlags,
    },
    /// Send a test email with the instance's SMTP settings and print the server's answer.
    Smtp {
        /// Where to send it.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        flags: DataFlags,
    },
}

impl JobsCommand {
    pub fn flags(&self) -> DataFlags {
        match self {
            JobsCommand::List { flags, .. } | JobsCommand::Retry { flags, .. } => flags.clone(),
        }
    }
}

impl DoctorCommand {
    pub fn flags(&self) -> DataFlags {
        match self {
            DoctorCommand::Queue { flags, .. }
            | DoctorCommand::Ready { flags, .. }
            | DoctorCommand::Smtp { flags, .. } => flags.clone(),
        }
    }
}

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Listened for from the start: a stop while starting (waiting for Postgres or another
    // node's migrations) exits cleanly too, leaving nothing half-made.
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        app::shutdown_signal().await;
        tracing::info!("shutdown signal received: finishing in-flight requests");
        on_signal.cancel();
    });
    let app = match Application::build_until(settings, &shutdown).await {
        Ok(app) => app,
        // Asked to stop, it stopped: a clean exit (systemd and Docker see a stop, not a failure).
        Err(stopped) if shutdown.is_cancelled() => {
            tracing::info!("{stopped}");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    app.run(shutdown).await
}

/// Opens the app database of an existing installation (`create`: creating the SQLite file and
/// its folder when missing, as `admin create-user` does before a first start). A folder made
/// here is the service user's alone (0700), as `serve` makes it: it will hold the database.
pub(super) async fn open_db(settings: &Settings, create: bool) -> anyhow::Result<Db> {
    if let DatabaseSettings::Sqlite { path } = &settings.database {
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                builder.create(dir).map_err(|e| cannot_create(dir, &e))?;
            }
        } else if !path.exists() {
            bail!(
                "no database at {}: start `plane-aio serve` with this data folder first, or pass --data-dir",
                path.display()
            );
        }
    }
    Ok(Db::connect(&settings.database).await?)
}

fn cannot_create(dir: &std::path::Path, e: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot create {}: {}",
        dir.display(),
        app::data_dir::describe_io(e)
    )
}

/// `migrate` on SQLite takes the data folder's lock, as `serve` does: the database belongs to
/// the one server of that folder, so it refuses while that server runs (which applies
/// migrations when it starts anyway), and a failed first migration removes what it created.
/// On Postgres it touches no folder and runs beside live nodes, ahead of a rolling upgrade.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let DatabaseSettings::Sqlite { path } = &settings.database else {
        return apply_migrations(open_db(settings, false).await?).await;
    };
    let data_dir = DataDir::open(&settings.data_dir).map_err(|e| match e {
        DataDirError::InUse { .. } => anyhow::anyhow!(
            "{e}: stop that server first (it applies pending migrations when it starts)"
        ),
        other => other.into(),
    })?;
    // `sqlite://PATH` may put the database outside the data folder, even in a new folder.
    let folders = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => match NewFolders::create(dir) {
            Ok(folders) => Some(folders),
            Err(e) => {
                data_dir.abandon();
                return Err(cannot_create(dir, &e));
            }
        },
        None => None,
    };
    let files = NewDatabaseFiles::note(path);
    let result = match Db::connect(&settings.database).await {
        Ok(db) => apply_migrations(db).await,
        Err(e) => Err(e.into()),
    };
    if result.is_err() {
        data_dir.abandon();
        files.remove();
        if let Some(folders) = folders {
            folders.remove_if_empty();
        }
    }
    result
}

/// Applies pending migrations, printing their names, and closes the database either way.
async fn apply_migrations(db: Db) -> anyhow::Result<()> {
    let applied = async {
        let pending = db
            .pending_migrations()
            .await
            .context("cannot read the migration state")?;
        db.migrate().await.context("cannot migrate the database")?;
        anyhow::Ok(pending)
    }
    .await;
    db.close().await;
    let pending = applied?;
    if pending.is_empty() {
        println!("database is up to date");
    } else {
        for name in &pending {
            println!("applied {name}");
        }
    }
    Ok(())
}

pub fn describe_config(settings: &Settings) -> String {
    let mut out = String::new();
    match &settings.raw.file {
        Some(path) => {
            let _ = writeln!(out, "# configuration file: {}", path.display());
        }
        None => {
            let _ = writeln!(
                out,
                "# configuration file: none ({} not found)",
                keys::DEFAULT_CONFIG_FILE
            );
        }
    }
    for (key, value, source) in settings.describe() {
        let origin = match source {
            Source::Default => "default".to_string(),
            other => other.to_string(),
        };
        let _ = writeln!(out, "{} = {:?}  # {origin}", key.name, value);
    }
    out
}

async fn open_queue(settings: &Settings) -> anyhow::Result<(Db, JobQueue)> {
    let db = open_db(settings, false).await?;
    let queue = JobQueue::open(&db, &settings.data_dir, &settings.jobs).await?;
    Ok((db, queue))
}

pub async fn jobs(settings: &Settings, command: JobsCommand) -> anyhow::Result<ExitCode> {
    let (db, queue) = open_queue(settings).await?;
    let code = match command {
        JobsCommand::List {
            status,
            limit,
            json,
            ..
        } => {
            let filter = StatusFilter::parse(&status).context("unknown status")?;
            let records = queue.list(filter, limit).await?;
            if json {
                for record in &records {
                    println!("{}", serde_json::to_string(record)?);
                }
            } else if records.is_empty() {
                println!("no {status} jobs");
            } else {
                println!(
                    "{:<28} {:<8} {:>8} {:<20} {:<10} LAST RESULT",
                    "ID", "STATE", "ATTEMPTS", "RUN AT", "KIND"
                );
                for r in &records {
                    let kind = r.job.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
                    println!(
                        "{:<28} {:<8} {:>8} {:<20} {:<10} {}",
                        r.id,
                        r.state,
                        format!("{}/{}", r.attempts, r.max_attempts),
                        r.run_at
                            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                            .unwrap_or_default(),
                        kind,
                        r.last_result
                            .as_deref()
                            .unwrap_or("")
                            .chars()
                            .take(120)
                            .collect::<String>()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        JobsCommand::Retry { id, .. } => {
            if queue.retry(&id).await? {
                println!("job {id} is queued again");
                ExitCode::SUCCESS
            } else {
                eprintln!("error: no failed or dead job with id {id}");
                ExitCode::FAILURE
            }
        }
    };
    db.close().await;
    Ok(code)
}

/// The longest `doctor queue --hold`.
const MAX_PROBE_HOLD: Duration = Duration::from_secs(3600);

pub async fn doctor(settings: &Settings, command: DoctorCommand) -> anyhow::Result<ExitCode> {
    let (fail_first, delay, hold, no_wait, timeout) = match command {
        DoctorCommand::Queue {
            fail_first,
            delay,
            hold,
            no_wait,
            timeout,
            ..
        } => (
            fail_first,
            delay,
            hold.unwrap_or_default(),
            no_wait,
            timeout,
        ),
        DoctorCommand::Smtp { to, .. } => return doctor_smtp(settings, &to).await,
        DoctorCommand::Ready { timeout, .. } => {
            return super::ready::ready(settings, timeout).await;
        }
    };
    // A held probe keeps a worker busy; a longer hold is a typo, not a test of take-over.
    anyhow::ensure!(
        hold <= MAX_PROBE_HOLD,
        "--hold is at most {} (each attempt keeps a worker busy that long)",
        humantime::format_duration(MAX_PROBE_HOLD)
    );
    // Every attempt holds for `hold`, the failing ones as well as the last. Refused before
    // anything is queued when it is more than can be waited for.
    let wait = hold
        .checked_mul(fail_first.saturating_add(1))
        .and_then(|holds| holds.checked_add(delay.unwrap_or_default()))
        .and_then(|wait| wait.checked_add(timeout))
        .filter(|wait| std::time::Instant::now().checked_add(*wait).is_some())
        .context("--timeout, --delay and --hold add up to more time than can be waited for")?;
    let (db, queue) = open_queue(settings).await?;
    let probe_id = Uuid::now_v7();
    queue
        .enqueue(
            Job::Probe {
                probe_id,
                fail_first,
                hold_ms: hold.as_millis().try_into().unwrap_or(u64::MAX),
            },
            delay,
        )
        .await
        .context("cannot enqueue the probe job")?;
    println!("probe {probe_id} enqueued");
    if no_wait {
        db.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    let deadline = started + wait;
    let mut seen = 0;
    loop {
        let runs = db::probes::runs(&db, probe_id).await?;
        for run in runs.iter().skip(seen) {
            println!(
                "attempt {} on node {}: {}",
                run.attempt,
                run.node,
                if run.succeeded {
                    "succeeded"
                } else {
                    "failed (on purpose)"
                }
            );
        }
        seen = runs.len();
        if runs.iter().any(|r| r.succeeded) {
            println!(
                "queue works: the probe ran after {} ms",
                started.elapsed().as_millis()
            );
            db.close().await;
            return Ok(ExitCode::SUCCESS);
        }
        if std::time::Instant::now() > deadline {
            db.close().await;
            if seen == 0 {
                bail!(
                    "no worker ran the probe within {}s: is `plane-aio serve` running on this {}?",
                    timeout.as_secs(),
                    if settings.database.is_postgres() {
                        "database"
                    } else {
                        "data folder"
                    }
                );
            }
            bail!(
                "the probe did not succeed within {}s ({seen} failed attempts so far)",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn doctor_smtp(settings: &Settings, to: &str) -> anyhow::Result<ExitCode> {
    use crate::{
        domain::{crypto::SecretBox, email::Email, instance},
        mail::{self, MailContext, MailKind},
    };
    let to =
        Email::parse(to).map_err(|_| anyhow::anyhow!("{to:?} is not a valid email address"))?;
    let db = open_db(settings, false).await?;
    let secret = instance::instance_secret(&db, settings).await?;
    let instance = instance::InstanceSettings::load(&db, &SecretBox::new(secret.expose())).await?;
    db.close().await;
    let Some(smtp) = instance.smtp() else {
        bail!(
            "email delivery is not set up: save the SMTP settings in the admin settings (Email) first"
        );
    };
    println!(
        "sending a test email to {to} through {}:{} ({:?}, {})",
        smtp.host,
        smtp.port,
        smtp.security,
        if smtp.username.is_empty() {
            "no login".to_string()
        } else {
            format!("login {}", smtp.username)
        }
    );
    let context = MailContext {
        instance_name: instance.instance_name().to_string(),
        public_url: instance
            .public_url()
            .map(str::to_string)
            .unwrap_or_else(|| settings.public_url.to_string()),
    };
    let test = mail::render(&MailKind::Test, &context, to.as_str())?;
    let delivery = mail::send(&smtp, settings.smtp_ca_root.as_deref(), &test)
        .await
        .map_err(|e| anyhow::anyhow!("the SMTP server did not take the mail: {e}"))?;
    println!("server answered: {} {}", delivery.code, delivery.message);
    Ok(ExitCode::SUCCESS)
}
