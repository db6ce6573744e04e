"""Load test (issue 9): CLIENTS concurrent Flight clients on loopback against one LabelFlight server started
here with a fixed heap and direct-memory cap, each running a bounded mix of uploads (DoPut) and applies
(DoAction apply + DoGet labels/JOB streamed to the end + job_status). Every call is timed; a sampler
scrapes /metrics every 200 ms for heap, direct buffers and Arrow memory, and reads the process RSS.

Pass criteria (exit 1 otherwise): zero failed calls, every job SUCCEEDED, peak heap <= -Xmx, peak Arrow
memory <= the budget's direct share (-XX:MaxDirectMemorySize). Prints a Markdown section for
perf/RESULTS.md. Started by run.sh (which builds the jar if needed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / "server" / "target" / "labelflight-server.jar"

WORDS = ("the a an of to and in is it for on with this that was great bad product service delivery price "
         "quality free money click here offer order refund broken works love hate recommend never again "
         "fast slow cheap expensive support call email account password update winner prize urgent").split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_table(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    text = [" ".join(rng.choices(WORDS, k=rng.randint(4, 30))) for _ in range(rows)]
    return pa.table({
        "text": pa.array(text, pa.string()),
        "stars": pa.array([rng.randint(1, 5) for _ in range(rows)], pa.int32()),
        "length": pa.array([len(t) for t in text], pa.int32()),
    })


def random_lfs(rng: random.Random) -> list[dict]:
    """A few LFs with random parameters, so that most applies compute something instead of hitting the cache."""
    a, b, c = rng.sample(WORDS, 3)
    return [
        {"name": "kw", "kind": "keyword", "column": "text", "keywords": [a, b], "label": "SPAM"},
        {"name": "re", "kind": "regex", "column": "text", "pattern": rf"\b{c}\b", "label": "HAM"},
        {"name": "num", "kind": "numeric", "column": "length", "op": "<", "value": rng.randint(20, 150),
         "label": "HAM"},
    ]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.failures: list[str] = []

    def timed(self, call: str, fn):
        start = time.perf_counter()
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            with self.lock:
                self.failures.append(f"{call}: {type(e).__name__}: {str(e)[:300]}")
            raise
        with self.lock:
            self.latencies.setdefault(call, []).append(time.perf_counter() - start)
        return result


TOKEN = "load-test-token"  # the dev user's; every client authenticates as it (bearer header on every call)


class _BearerFactory(flight.ClientMiddlewareFactory):
    def start_call(self, info):
        return _Bearer()


class _Bearer(flight.ClientMiddleware):
    def sending_headers(self):
        return {"authorization": f"Bearer {TOKEN}"}


def connect(port: int) -> flight.FlightClient:
    return flight.connect(f"grpc://127.0.0.1:{port}", middleware=[_BearerFactory()])


def action(client: flight.FlightClient, kind: str, body: dict) -> dict:
    results = list(client.do_action(flight.Action(kind, json.dumps(body).encode())))
    return json.loads(results[0].body.to_pybytes())


def run_client(index: int, port: int, ops: int, base_rows: int, rec: Recorder, deadline: float,
               failed_jobs: list) -> None:
    rng = random.Random(1_000 + index)
    client = connect(port)
    own = f"client{index}"
    uploaded = False
    try:
        for op in range(ops):
            if time.monotonic() > deadline:
                rec.failures.append(f"client {index}: time bound reached before op {op}")
                return
            if op % 3 == 0:
                table = make_table(rng.randint(5_000, 20_000), seed=index * 1_000 + op)

                def upload():
                    writer, reader = client.do_put(flight.FlightDescriptor.for_path("datasets", own), table.schema)
                    writer.write_table(table, max_chunksize=8_192)
                    writer.done_writing()
                    reader.read()
                    writer.close()

                rec.timed("upload (DoPut 5k-20k rows)", upload)
                uploaded = True
                continue
            dataset = own if uploaded and rng.random() < 0.5 else "base"
            body = {"dataset": dataset, "labels": ["HAM", "SPAM"], "lfs": random_lfs(rng), "user": own}
            job = rec.timed("apply (DoAction)", lambda: action(client, "apply", body))["job"]
            table = rec.timed("labels (DoGet to the end)",
                              lambda: client.do_get(flight.Ticket(f"labels/{job}".encode())).read_all())
            status = rec.timed("job_status (DoAction)", lambda: action(client, "job_status", {"job": job}))
            if status["state"] != "SUCCEEDED" or table.num_rows != status["rowsTotal"]:
                failed_jobs.append(status)
    except Exception:  # noqa: BLE001 - already recorded by Recorder.timed
        pass
    finally:
        client.close()


class Sampler(threading.Thread):
    """Scrapes /metrics and /proc/PID/status until stopped; keeps the peaks."""

    PATTERNS = {
        "heap": re.compile(r'^jvm_memory_used_bytes\{[^}]*area="heap"[^}]*\}\s+(\S+)', re.M),
        "direct": re.compile(r'^jvm_buffer_memory_used_bytes\{[^}]*id="direct"[^}]*\}\s+(\S+)', re.M),
        "arrow": re.compile(r'^labelflight_arrow_allocated_bytes\{[^}]*\}\s+(\S+)', re.M),
        "budget_free": re.compile(r'^labelflight_memory_permits_bytes\{[^}]*kind="free"[^}]*\}\s+(\S+)', re.M),
    }

    def __init__(self, http_port: int, pid: int) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{http_port}/metrics"
        self.pid = pid
        self.stop = threading.Event()
        self.peaks = {"heap": 0.0, "direct": 0.0, "arrow": 0.0, "rss": 0.0}
        self.budget_free_min = float("inf")
        self.samples = 0
        self.errors = 0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {TOKEN}"})
                text = urllib.request.urlopen(request, timeout=5).read().decode()
            except Exception:  # noqa: BLE001 - a missed scrape is counted, not fatal
                self.errors += 1
                continue
            self.samples += 1
            for key in ("heap", "direct", "arrow"):
                values = [float(v) for v in self.PATTERNS[key].findall(text)]
                if values:
                    self.peaks[key] = max(self.peaks[key], sum(values))
            free = [float(v) for v in self.PATTERNS["budget_free"].findall(text)]
            if free:
                self.budget_free_min = min(self.budget_free_min, free[0])
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
                rss_kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                self.peaks["rss"] = max(self.peaks["rss"], rss_kib * 1024.0)
            except (OSError, AttributeError):
                pass


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ops", type=int, default=12, help="calls sequences per client (1/3 uploads)")
    parser.add_argument("--base-rows", type=int, default=200_000)
    parser.add_argument("--heap-mib", type=int, default=512)
    parser.add_argument("--direct-mib", type=int, default=512)
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds before the run is failed")
    args = parser.parse_args()
    if not JAR.exists():
        print(f"missing {JAR}: run.sh builds it", file=sys.stderr)
        return 2

    data_dir = Path(tempfile.mkdtemp(prefix="labelflight-load-"))
    flight_port, http_port = free_port(), free_port()
    env = dict(os.environ, LABELFLIGHT_DATADIR=str(data_dir / "data"), LABELFLIGHT_FLIGHT_PORT=str(flight_port),
               LABELFLIGHT_HTTP_PORT=str(http_port), LABELFLIGHT_DEMO_ENABLED="false",
               # One user for all clients (so all see the shared dataset), allowed as many running jobs as clients.
               LABELFLIGHT_AUTH_DEVUSER_ENABLED="true", LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN,
               LABELFLIGHT_JOBS_MAXRUNNINGPERUSER=str(max(16, args.clients)))
    cmd = ["java", f"-Xmx{args.heap_mib}m", f"-XX:MaxDirectMemorySize={args.direct_mib}m",
           "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", str(JAR)]
    log = open(data_dir / "server.log", "w")
    server = subprocess.Popen(cmd, env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT)
    try:
        start = time.monotonic()
        while True:
            try:
                # /health has its details for a user only.
                health = json.loads(urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{http_port}/health", headers={"Authorization": f"Bearer {TOKEN}"}),
                    timeout=2).read())
                break
            except Exception:  # noqa: BLE001 - not up yet
                if server.poll() is not None or time.monotonic() - start > 120:
                    print(f"server did not start; see {data_dir / 'server.log'}", file=sys.stderr)
                    return 2
                time.sleep(0.2)
        budget = health["memory"]["budgetBytes"]
        base = make_table(args.base_rows, seed=7)
        with connect(flight_port) as c:
            writer, reader = c.do_put(flight.FlightDescriptor.for_path("datasets", "base"), base.schema)
            writer.write_table(base, max_chunksize=16_384)
            writer.done_writing()
            reader.read()
            writer.close()

        sampler = Sampler(http_port, server.pid)
        sampler.start()
        rec = Recorder()
        failed_jobs: list = []
        deadline = time.monotonic() + args.time_limit
        t0 = time.monotonic()
        threads = [threading.Thread(target=run_client,
                                    args=(i, flight_port, args.ops, args.base_rows, rec, deadline, failed_jobs))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        sampler.stop.set()
        sampler.join()
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    heap_cap = args.heap_mib << 20
    direct_cap = args.direct_mib << 20
    calls = sum(len(v) for v in rec.latencies.values())
    mib = lambda b: f"{b / (1 << 20):.0f} MiB"  # noqa: E731
    print(f"### {args.clients} clients x {args.ops} operations (load test, issue 9)\n")
    print(f"`perf/load/run.sh --clients {args.clients} --ops {args.ops} --base-rows {args.base_rows} "
          f"--heap-mib {args.heap_mib} --direct-mib {args.direct_mib}`; server `-Xmx{args.heap_mib}m "
          f"-XX:MaxDirectMemorySize={args.direct_mib}m`, memory budget {mib(budget)} (derived), "
          f"{os.cpu_count()} CPUs, load average before the run {os.getloadavg()[0]:.1f}.\n")
    print(f"{calls} calls in {wall:.1f} s, **{len(rec.failures)} failed**, {len(failed_jobs)} jobs not SUCCEEDED.\n")
    print("| call | count | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for call, values in sorted(rec.latencies.items()):
        print(f"| {call} | {len(values)} | {1000 * statistics.median(values):.0f} | {1000 * pct(values, 0.99):.0f} | "
              f"{1000 * max(values):.0f} |")
    print()
    print("| memory (peak over {} samples, every 200 ms) | peak | cap |".format(sampler.samples))
    print("| --- | ---: | ---: |")
    print(f"| JVM heap used | {mib(sampler.peaks['heap'])} | {mib(heap_cap)} (-Xmx) |")
    print(f"| JVM direct buffers (NIO) | {mib(sampler.peaks['direct'])} | {mib(direct_cap)} (MaxDirectMemorySize) |")
    print(f"| Arrow buffers (off-heap) | {mib(sampler.peaks['arrow'])} | {mib(direct_cap)} |")
    print(f"| memory budget in use | {mib(budget - sampler.budget_free_min)} | {mib(budget)} |")
    print(f"| process RSS | {mib(sampler.peaks['rss'])} | |")
    ok = (not rec.failures and not failed_jobs and sampler.peaks["heap"] <= heap_cap
          and sampler.peaks["direct"] + sampler.peaks["arrow"] <= direct_cap and sampler.samples > 0)
    for f in rec.failures[:20]:
        print(f"- failure: {f}")
    for j in failed_jobs[:5]:
        print(f"- job: {json.dumps(j)[:300]}")
    print(f"\nResult: {'PASS' if ok else 'FAIL'}")
    if ok:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"(server log and data kept in {data_dir})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
