"""One bench case of benches/api.sh: GET a 50-project page right after a write.

Read answers are remembered until the next commit (src/db/memo.rs), so the
load-generator runs measure the remembered path. Here each GET follows a PATCH, so it queries
and renders afresh. One connection, sequential; the CPU of the writes alone is measured first
and subtracted.

    python3 benches/after_write.py BASE_URL TOKEN SERVER_PID CLK_TCK
"""
import http.client, json, statistics, sys, time, urllib.parse
base, token, pid, ticks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPConnection(urllib.parse.urlparse(base).netloc)
headers = {"X-Api-Key": token, "Content-Type": "application/json"}
def call(method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (method, path, r.status, data[:200])
    return data
def cpu():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks
page = json.loads(call("GET", "/api/v1/workspaces/bench/projects/?per_page=5"))
ids = [p["id"] for p in page["results"]]
n = 300
def write(i):
    call("PATCH", f"/api/v1/workspaces/bench/projects/{ids[i % len(ids)]}/", {"description": f"bench {i}"})
start = cpu()
for i in range(n):
    write(i)
writes_only = cpu() - start
latencies = []
start = cpu()
for i in range(n):
    write(i)
    t = time.perf_counter()
    call("GET", "/api/v1/workspaces/bench/projects/?per_page=50")
    latencies.append((time.perf_counter() - t) * 1000)
both = cpu() - start
latencies.sort()
label = "GET …/projects/?per_page=50 after a write"
print(f"{label:<44} {n:>10} {'(1 conn)':>9} {statistics.median(latencies):>9.2f} "
      f"{latencies[int(n * 0.99) - 1]:>9.2f} {(both - writes_only) * 1000 / n:>12.4f}")
