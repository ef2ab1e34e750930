//! Logging: one line per event, human-readable or JSON, filtered by `log_level`.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Libraries that narrate their internals at info level; quieted unless the filter names them.
const CHATTY: [&str; 4] = ["tokio_cron_scheduler", "fjall", "lsm_tree", "sqlx"];

/// The filter actually used: the configured one plus `warn` for chatty libraries.
pub fn filter_directives(level: &str) -> String {
    let mut directives = level.to_string();
    for target in CHATTY {
        if !level.contains(target) {
            directives.push_str(&format!(",{target}=warn"));
        }
    }
    directives
}

/// Where log lines go: `serve` logs to stdout (what service managers collect); the other
/// commands log to stderr so their stdout stays their answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    Stderr,
}

/// Installs the global subscriber; later calls are ignored (tests build several apps).
pub fn init(format: LogFormat, level: &str, output: Output) {
    let filter =
        EnvFilter::try_new(filter_directives(level)).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let ansi = match output {
        Output::Stdout => std::io::stdout().is_terminal(),
        Output::Stderr => std::io::stderr().is_terminal(),
    };
    let writer = move || -> Box<dyn std::io::Write> {
        match output {
            Output::Stdout => Box::new(std::io::stdout()),
            Output::Stderr => Box::new(std::io::stderr()),
        }
    };
    let result = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .compact()
                    .with_target(false)
                    .with_ansi(ansi)
                    .with_writer(writer),
            )
            .try_init(),
    };
    drop(result);
}
