#!/usr/bin/env bash
# The whole test suite: every test on SQLite and, when Postgres answers on 127.0.0.1:5432,
# on Postgres too; S3 tests against s3s-fs, ACME tests against pebble, web UI tests in
# headless Chromium, the API against Plane's official Python SDK (installed here into a
# virtualenv). Missing tools are built or named; tests that cannot run say "skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is needed: $2" >&2; exit 1; }
}

need cargo "install Rust with rustup (https://rustup.rs)"
need npm "install Node.js 20.19 or newer (https://nodejs.org, or apt-get install nodejs npm)"
need node "install Node.js 20.19 or newer"

TOOLS="${PLANE_TEST_TOOLS:-$HOME/.cache/plane-aio/tools}"
export PLANE_TEST_TOOLS="$TOOLS"

# libtest hides what a passing test prints, so a test that skips for want of a tool looks like
# a pass: every missing capability is named here, before the tests run. With
# PLANE_TEST_REQUIRE_TOOLS=1 (CI) a missing tool is an error instead.
require_tools="${PLANE_TEST_REQUIRE_TOOLS:-0}"
# skipped WHY WHAT: WHY is missing, so WHAT does not run.
skipped() {
  if [ "$require_tools" = 1 ]; then
    echo "error: PLANE_TEST_REQUIRE_TOOLS=1 but $1" >&2
    exit 1
  fi
  say "skipped: $1: $2 skipped"
}

# s3s-fs: an S3-compatible server that checks signatures, built once into the tools folder.
if ! command -v s3s-fs >/dev/null 2>&1 && [ ! -x "$TOOLS/bin/s3s-fs" ]; then
  say "building s3s-fs 0.14.1 into $TOOLS (once; a few minutes)"
  if ! CARGO_TARGET_DIR="$TOOLS/target" cargo install s3s-fs --version 0.14.1 --features binary --locked --root "$TOOLS" --quiet; then
    skipped "s3s-fs could not be built (see above)" "the S3 storage tests are"
  fi
  rm -rf "$TOOLS/target"
fi

if ! command -v pebble >/dev/null 2>&1 || ! command -v pebble-challtestsrv >/dev/null 2>&1; then
  skipped "pebble is not installed (apt-get install pebble)" "the ACME certificate tests are"
fi
# faketime runs the admin CLI with its clock an hour ahead (nodes whose clocks disagree).
command -v faketime >/dev/null 2>&1 \
  || skipped "faketime is not installed (apt-get install faketime)" "the clock-skew test is"
# The web UI test looks for Chromium where tests/it/web_ui.rs does.
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -e "$chromium" ] \
  || skipped "Chromium is not installed at $chromium (apt-get install chromium)" "the web UI browser test is"
# The full-disk and read-only tests mount a small tmpfs in a private mount namespace.
unshare -m true >/dev/null 2>&1 \
  || skipped "not root or no unshare" "the full-disk and read-only data-folder tests are"

# The compatibility suite's virtualenv: Plane's official Python SDK (plane-sdk) and its
# dependencies, pinned in tests/compat/requirements.txt; rebuilt when that file changes.
VENV="$TOOLS/compat-venv"
REQUIREMENTS=tests/compat/requirements.txt
if ! command -v python3 >/dev/null 2>&1; then
  skipped "python3 is not installed (apt-get install python3 python3-venv)" "the plane-sdk compatibility tests are"
else
  wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$wanted" ] \
    || ! "$VENV/bin/python" -c 'import plane' >/dev/null 2>&1; then
    say "installing plane-sdk from $REQUIREMENTS into $VENV (once per change of that file)"
    rm -rf "$VENV"
    if python3 -m venv "$VENV" \
      && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$REQUIREMENTS"; then
      echo "$wanted" >"$VENV/.requirements.sha256"
    else
      rm -rf "$VENV"
      skipped "the plane-sdk virtualenv could not be installed (python3-venv and PyPI are needed)" \
        "the plane-sdk compatibility tests are"
    fi
  fi
  if [ -x "$VENV/bin/python" ]; then
    export PLANE_TEST_COMPAT_PYTHON="$VENV/bin/python"
  fi
fi

PG_URL="${PLANE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v psql >/dev/null 2>&1 && psql "$PG_URL" -Atc "select 1" >/dev/null 2>&1; then
  say "Postgres answers at $PG_URL: database tests run on SQLite and Postgres"
  # Test databases left behind by an interrupted run.
  psql "$PG_URL" -Atc "select datname from pg_database where datname like 'plane_aio_test_%'" \
    | while read -r db; do psql "$PG_URL" -qc "drop database if exists \"$db\" with (force)" >/dev/null; done
elif [ "${PLANE_TEST_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "error: PLANE_TEST_REQUIRE_POSTGRES=1 but Postgres does not answer at $PG_URL" >&2
  exit 1
else
  say "skipped: no Postgres at $PG_URL, so the Postgres half of the suite does not run"
fi

say "running the test suite"
cargo test --workspace --all-targets -- "$@"
