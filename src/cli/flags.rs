//! Command-line flags generated from the configuration key table, so every key has its flag
//! (`--listen`, `--s3-bucket`, …) without being declared twice.

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use crate::config::keys::{FlagScope, KEYS};

/// Flags of every configuration key (for `serve` and `config`).
#[derive(Debug, Clone, Default)]
pub struct AllFlags(pub Vec<(&'static str, String)>);

/// Flags of the keys that locate the data (`--data-dir`, `--database-url`, logging), for the
/// commands that only open the database or queue.
#[derive(Debug, Clone, Default)]
pub struct DataFlags(pub Vec<(&'static str, String)>);

fn in_scope(scope: FlagScope, all: bool) -> bool {
    all || scope == FlagScope::AllCommands
}

fn augment(mut cmd: Command, all: bool) -> Command {
    // A repeated flag takes its last value, as most command lines do.
    cmd = cmd.args_override_self(true).next_help_heading(
        "Configuration (also PLANE_AIO_* environment variables or plane-aio.toml)",
    );
    for key in KEYS.iter().filter(|k| in_scope(k.scope, all)) {
        let default = if key.default.is_empty() {
            String::new()
        } else {
            format!(" [default: {}]", key.default)
        };
        cmd = cmd.arg(
            Arg::new(key.name)
                .long(key.flag())
                .value_name(key.value_name)
                .help(format!("{}{default}", key.help))
                .num_args(1)
                .allow_hyphen_values(false),
        );
    }
    cmd
}

fn collect(matches: &ArgMatches, all: bool) -> Vec<(&'static str, String)> {
    KEYS.iter()
        .filter(|k| in_scope(k.scope, all))
        .filter_map(|k| {
            matches
                .get_one::<String>(k.name)
                .map(|v| (k.name, v.clone()))
        })
        .collect()
}

macro_rules! flag_set {
    ($ty:ident, $all:expr) => {
        impl FromArgMatches for $ty {
            fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
                Ok($ty(collect(matches, $all)))
            }

            fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
                self.0 = collect(matches, $all);
                Ok(())
            }
        }

        impl Args for $ty {
            fn augment_args(cmd: Command) -> Command {
                augment(cmd, $all)
            }

            fn augment_args_for_update(cmd: Command) -> Command {
                augment(cmd, $all)
            }
        }
    };
}

flag_set!(AllFlags, true);
flag_set!(DataFlags, false);
