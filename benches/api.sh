#!/usr/bin/env bash
# API read throughput, latency and server CPU per request, with a real HTTP load generator.
#
# Starts a release server on a fresh data folder (SQLite by default; set
# BENCH_DATABASE_URL=postgres://… for Postgres), seeds one workspace with 1,000 projects (each
# with its six states and its creator's membership), then drives, at 32 connections for
# BENCH_SECONDS (default 15) each:
#   GET /api/v1/users/me/
#   GET /api/v1/workspaces/bench/projects/?per_page=50      (a 50-row list)
#   GET /api/v1/workspaces/bench/projects/<id>/states/
# and prints requests/s, p50/p99 latency (from the load generator) and the server's CPU time per
# request (its utime+stime from /proc during the run ÷ requests served). These repeated reads
# are answered from memory until the next commit (src/db/memo.rs; on Postgres after one shared
# change-counter read per batch of requests, src/db/change_watch.rs); a last case
# (benches/after_write.py) measures the list right after a write, when it is queried afresh.
#
#   benches/api.sh [path/to/plane-aio]     (default: builds the release binary)
#
# The load generator is `wrk` (Debian's package; installed with apt-get when missing and
# possible) or `oha` (`cargo install oha`). The server logs every request as in production.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/plane-aio"
fi
seconds="${BENCH_SECONDS:-15}"
connections=32
command -v curl >/dev/null || { echo "error: curl is needed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is needed" >&2; exit 1; }

if command -v oha >/dev/null 2>&1; then
  tool=oha
elif command -v wrk >/dev/null 2>&1; then
  tool=wrk
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing wrk (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  tool=wrk
else
  echo "==> installing oha with cargo (once)"
  cargo install oha --locked --quiet
  tool=oha
fi

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
data=(--data-dir "$work/data")
[ -n "${BENCH_DATABASE_URL:-}" ] && data+=(--database-url "$BENCH_DATABASE_URL")

"$bin" serve --listen "127.0.0.1:$port" "${data[@]}" \
  --api-key-rate-limit 1000000000/minute --log-format json >"$work/server.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$base/readyz"; do sleep 0.02; done

echo "==> seeding: one workspace, 1,000 projects"
printf '%s\n' 'bench-password-orbit-velvet-91' |
  "$bin" admin create-user --email bench@example.com --password-stdin "${data[@]}" >/dev/null
token=$("$bin" admin create-token --email bench@example.com --label bench "${data[@]}" 2>/dev/null)
"$bin" admin create-workspace --name Bench --slug bench --owner bench@example.com "${data[@]}" >/dev/null
python3 - "$base" "$token" <<'EOF'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
        headers={"X-Api-Key": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        assert r.status in (200, 201), r.status
for i in range(1000):
    post("/api/v1/workspaces/bench/projects/", {"name": f"Project {i:04}", "identifier": f"P{i:04}"})
EOF
project=$(curl -sf -H "X-Api-Key: $token" "$base/api/v1/workspaces/bench/projects/?per_page=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])')
total=$(curl -sf -H "X-Api-Key: $token" "$base/api/v1/workspaces/bench/projects/?per_page=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["total_count"])')
engine=sqlite
[ -n "${BENCH_DATABASE_URL:-}" ] && engine=postgres
echo "    $total projects; database: $engine"

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# Runs the load generator; prints "<requests> <rps> <p50 ms> <p99 ms>".
load() {
  local url=$1
  if [ "$tool" = oha ]; then
    oha -z "${seconds}s" -c "$connections" --no-tui --json -H "X-Api-Key: $token" "$url" |
      python3 -c '
import json, sys
r = json.load(sys.stdin)
n = sum(r["statusCodeDistribution"].values())
bad = n - r["statusCodeDistribution"].get("200", 0)
assert bad == 0, f"{bad} non-200 answers"
p = r["latencyPercentiles"]
print(n, round(r["summary"]["requestsPerSec"]), round(p["p50"] * 1000, 2), round(p["p99"] * 1000, 2))'
  else
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "X-Api-Key: $token" "$url" |
      python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
n = int(re.search(r"(\d+) requests in", text).group(1))
assert "Non-2xx" not in text, text
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
print(n, round(rps), round(ms(*p50.groups()), 2), round(ms(*p99.groups()), 2))'
  fi
}

printf '\n%-44s %10s %9s %9s %9s %12s\n' "endpoint ($tool, $connections connections, ${seconds}s)" requests "req/s" "p50 ms" "p99 ms" "CPU ms/req"
for path in \
  "/api/v1/users/me/" \
  "/api/v1/workspaces/bench/projects/?per_page=50" \
  "/api/v1/workspaces/bench/projects/$project/states/"; do
  # Warm up, then measure.
  BENCH_WARM=1 seconds=2 load "$base$path" >/dev/null
  before=$(cpu_ticks)
  read -r n rps p50 p99 < <(load "$base$path")
  after=$(cpu_ticks)
  cpu_ms=$(python3 -c "print(f'{($after - $before) * 1000 / $ticks / $n:.4f}')")
  label="${path/$project/<id>}"
  printf '%-44s %10s %9s %9s %9s %12s\n' "GET ${label:0:40}" "$n" "$rps" "$p50" "$p99" "$cpu_ms"
done
python3 benches/after_write.py "$base" "$token" "$pid" "$ticks"
echo
echo "server: $bin, $(nproc) cores; CPU per request = server utime+stime during the run / requests"
echo "answers are remembered until the next commit; the last line is the path right after one."
