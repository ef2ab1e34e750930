#!/usr/bin/env bash
# Installs plane-aio as a systemd service on this machine:
#   sudo ./install.sh                 # build the release binary from this checkout, then install
#   sudo ./install.sh path/to/plane-aio   # install a binary built elsewhere
# Creates the plane-aio user, /var/lib/plane-aio (data) and /etc/plane-aio/plane-aio.toml
# (kept if it exists), installs systemd/plane-aio.service and starts it.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" != 0 ]; then
  echo "error: run as root (sudo ./install.sh)" >&2
  exit 1
fi
command -v systemctl >/dev/null 2>&1 || { echo "error: systemd is needed (systemctl not found)" >&2; exit 1; }

binary="${1:-}"
if [ -z "$binary" ]; then
  command -v cargo >/dev/null 2>&1 || { echo "error: cargo is needed to build (or pass a built binary)" >&2; exit 1; }
  cargo build --release
  binary="${CARGO_TARGET_DIR:-target}/release/plane-aio"
fi
[ -x "$binary" ] || { echo "error: $binary is not an executable" >&2; exit 1; }

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
systemctl enable --now plane-aio
echo "plane-aio is installed and running: systemctl status plane-aio; logs: journalctl -u plane-aio"
