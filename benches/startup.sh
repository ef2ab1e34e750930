#!/usr/bin/env bash
# Measures the release binary: its size, the time from exec to the first 200 on /readyz
# (fresh data folder, so migrations included, and a second start on the existing folder),
# and the idle resident memory after start-up.
#   benches/startup.sh [path/to/plane-aio]     (default: builds target/release/plane-aio)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/plane-aio"
fi
command -v curl >/dev/null || { echo "error: curl is needed" >&2; exit 1; }

work=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

now_ms() { date +%s%3N; }

pid=""
elapsed=0
# Starts the server and waits for /readyz; sets $pid and $elapsed (ms).
start_and_wait() {
  local t0 t1
  t0=$(now_ms)
  "$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --log-level warn >"$work/log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.005; done
  t1=$(now_ms)
  elapsed=$((t1 - t0))
}

size=$(stat -c %s "$bin")
echo "binary: $bin"
echo "binary size: $size bytes ($((size / 1024 / 1024)) MiB)"
start_and_wait
echo "exec to first 200 on /readyz, fresh data folder: ${elapsed} ms"
sleep 5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
echo "idle RSS after 5 s: ${rss} kB (peak ${hwm} kB, ${threads} threads)"
kill -TERM "$pid"; wait "$pid" || true
start_and_wait
echo "exec to first 200 on /readyz, existing data folder: ${elapsed} ms"
kill -TERM "$pid"; wait "$pid" || true
