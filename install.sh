#!/usr/bin/env bash
# Installs (or upgrades) plane-aio as a systemd service on this machine:
#   sudo ./install.sh                     # build the release binary from this checkout, then install
#   sudo ./install.sh path/to/plane-aio   # install a binary built elsewhere
# Creates the plane-aio user, /var/lib/plane-aio (data) and /etc/plane-aio/plane-aio.toml
# (kept if it exists), installs systemd/plane-aio.service and (re)starts it.
set -euo pipefail

fail() { echo "error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (sudo ./install.sh)"
command -v systemctl >/dev/null 2>&1 || fail "systemd is needed (systemctl not found)"

# A binary named on the command line is taken from where the command was run.
binary="${1:-}"
if [ -n "$binary" ]; then
  binary="$(realpath -- "$binary")" || fail "$1 does not exist"
fi
cd "$(dirname "$0")"

if [ -z "$binary" ]; then
  # Built as the checkout's owner (whose cargo it is), never as root into their tree, and into
  # a target folder named here: their own settings must not send the binary elsewhere (nor
  # leave a stale one where this script looks).
  owner="$(stat -c %U .)"
  build="cargo build --release --locked --target-dir '$PWD/target'"
  if [ "$owner" != root ]; then
    runuser -u "$owner" -- bash -lc 'command -v cargo >/dev/null' \
      || fail "cargo is needed to build (install Rust for $owner with rustup, or pass a built binary)"
    runuser -u "$owner" -- bash -lc "cd '$PWD' && $build"
  else
    command -v cargo >/dev/null 2>&1 || fail "cargo is needed to build (or pass a built binary)"
    bash -c "$build"
  fi
  binary="$PWD/target/release/plane-aio"
fi
[ -x "$binary" ] || fail "$binary is not an executable"

install -m 0755 "$binary" /usr/local/bin/plane-aio
id plane-aio >/dev/null 2>&1 || useradd --system --home /var/lib/plane-aio --shell /usr/sbin/nologin plane-aio
install -d -o plane-aio -g plane-aio -m 0750 /var/lib/plane-aio
install -d -m 0755 /etc/plane-aio
if [ ! -f /etc/plane-aio/plane-aio.toml ]; then
  cat > /etc/plane-aio/plane-aio.toml <<'TOML'
# plane-aio configuration: every key of `plane-aio serve --help` (underscores instead of dashes).
data_dir = "/var/lib/plane-aio"
listen = "127.0.0.1:8080"
log_format = "json"
# For HTTPS with Let's Encrypt, instead of `listen`:
# domain = "plane.example.com"
# acme_email = "ops@example.com"
TOML
  chmod 0640 /etc/plane-aio/plane-aio.toml
  chgrp plane-aio /etc/plane-aio/plane-aio.toml
fi
install -m 0644 systemd/plane-aio.service /etc/systemd/system/plane-aio.service
systemctl daemon-reload
systemctl enable plane-aio
# restart, not start: an upgrade must replace the running binary.
systemctl restart plane-aio

# Readiness, not just "started": a bad configuration or a taken port stops it within seconds.
config=/etc/plane-aio/plane-aio.toml
ready=no
for _ in $(seq 1 30); do
  if ! systemctl is-active --quiet plane-aio; then
    journalctl -u plane-aio -n 20 --no-pager >&2 || true
    fail "plane-aio did not stay up (its log is above)"
  fi
  if runuser -u plane-aio -- /usr/local/bin/plane-aio --config "$config" doctor ready >/dev/null 2>&1; then
    ready=yes
    break
  fi
  sleep 1
done
if [ "$ready" != yes ]; then
  # Running but not answering yet: with `domain`, the first certificate can take longer.
  journalctl -u plane-aio -n 20 --no-pager >&2 || true
  echo "warning: plane-aio runs but was not ready within 30 s (its log is above); check with:" >&2
  echo "  runuser -u plane-aio -- plane-aio --config $config doctor ready" >&2
fi
cat <<TEXT
plane-aio is installed and started: systemctl status plane-aio; logs: journalctl -u plane-aio
Admin commands run as the service's user with its configuration, e.g.:
  sudo -u plane-aio plane-aio --config $config admin create-user --email you@example.com --password-stdin
TEXT
