"""Load and fault runs (issues 9 and 16): CLIENTS concurrent Flight clients on loopback against LabelFlight started
here, each running a mix of uploads (DoPut) and applies (DoAction apply + DoGet labels/JOB streamed to the end +
job_status), for --ops operations each or for --duration seconds. Every call is timed; a sampler scrapes /metrics
of every node every 200 ms (heap, direct buffers, Arrow memory, free budget) and reads each process's RSS.

--nodes 3 starts a loopback cluster: node 1 owns the datasets and takes every client call, nodes 2 and 3 borrow
chunk tasks; with --kill-every S one of nodes 2..N is killed with SIGKILL every S seconds (in turn) and started
again on its data directory, so borrowed tasks are lost mid-run and must be run again elsewhere.

Servers start as bin/serve starts them (perf/memory_contract.py): -Xmx HEAP, an explicit budget, the JVM's direct
limit = budget + 64 MiB. Pass criteria (exit 1 otherwise): zero failed calls, every job SUCCEEDED with all its rows,
every server's peak RSS (VmHWM) within the contract (heap + budget + 256 MiB), and at the end, on every node, Arrow's
allocator and the free budget back at their values right after start. Prints a Markdown section for
perf/RESULTS.md. Started by run.sh (which builds the jar if needed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
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
sys.path.insert(0, str(ROOT / "perf"))
import memory_contract  # noqa: E402

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


NODE_NAMES: dict[str, str] = {}  # node id (one per start) -> node1, node2, ...
TOKEN = "load-test-token"  # the dev user's; every client authenticates as it (bearer header on every call)


class _BearerFactory(flight.ClientMiddlewareFactory):
    def start_call(self, info):
        return _Bearer()


class _Bearer(flight.ClientMiddleware):
    def sending_headers(self):
        return {"authorization": f"Bearer {TOKEN}"}


def connect(port: int) -> flight.FlightClient:
    return flight.connect(f"grpc://127.0.0.1:{port}", middleware=[_BearerFactory()])


def action(client: flight.FlightClient, kind: str, body: dict, options: flight.FlightCallOptions | None = None) -> dict:
    results = list(client.do_action(flight.Action(kind, json.dumps(body).encode()), options))
    return json.loads(results[0].body.to_pybytes())


def metrics_text(http_port: int) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/metrics",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    return urllib.request.urlopen(request, timeout=10).read().decode()


PATTERNS = {
    "heap": re.compile(r'^jvm_memory_used_bytes\{[^}]*area="heap"[^}]*\}\s+(\S+)', re.M),
    "direct": re.compile(r'^jvm_buffer_memory_used_bytes\{[^}]*id="direct"[^}]*\}\s+(\S+)', re.M),
    "arrow": re.compile(r'^labelflight_arrow_allocated_bytes\{[^}]*\}\s+(\S+)', re.M),
    "budget_free": re.compile(r'^labelflight_memory_permits_bytes\{[^}]*kind="free"[^}]*\}\s+(\S+)', re.M),
}


def metric(text: str, key: str) -> float | None:
    values = [float(v) for v in PATTERNS[key].findall(text)]
    return sum(values) if values else None


class Node:
    """One server process (restartable on the same data directory and ports)."""

    def __init__(self, index: int, work: Path, args, cluster: dict | None) -> None:
        self.index = index
        self.name = f"node{index + 1}"
        self.data = work / self.name
        self.flight_port, self.http_port = free_port(), free_port()
        self.args = args
        self.cluster = cluster
        self.proc: subprocess.Popen | None = None
        self.memories: list[memory_contract.ServerMemory] = []  # one per incarnation
        self.baseline: dict[str, float] = {}
        self.starts = 0

    def start(self) -> None:
        flags, env_extra = memory_contract.server_flags(self.args.heap_mib, self.args.budget_mib)
        env = dict(os.environ, LABELFLIGHT_DATADIR=str(self.data / "data"), LABELFLIGHT_FLIGHT_PORT=str(self.flight_port),
                   LABELFLIGHT_HTTP_PORT=str(self.http_port), LABELFLIGHT_DEMO_ENABLED="false",
                   # One user for all clients (so all see the shared dataset), as many running jobs and open label
                   # streams as clients (the per-user caps assume one person, not 32 clients under one token).
                   LABELFLIGHT_AUTH_DEVUSER_ENABLED="true", LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN,
                   LABELFLIGHT_JOBS_MAXRUNNINGPERUSER=str(max(16, self.args.clients)),
                   LABELFLIGHT_FLIGHT_MAXSTREAMSPERUSER=str(max(8, self.args.clients)),
                   # Resident copies idle for 15 s give their memory back, so that the end of a run can check that
                   # every node is back at its baseline (and the eviction path runs during the load).
                   LABELFLIGHT_RESIDENT_IDLEMS="15000", **env_extra)
        if self.cluster:
            env.update(LABELFLIGHT_CLUSTER_ENABLED="true", LABELFLIGHT_CLUSTER_NAME=self.cluster["name"],
                       LABELFLIGHT_CLUSTER_PORT=str(self.cluster["ports"][self.index]),
                       LABELFLIGHT_CLUSTER_MEMBERS=",".join(f"127.0.0.1:{p}" for p in self.cluster["ports"]),
                       # A clustered node needs the cluster's secret (the same on every node; one per run).
                       LABELFLIGHT_CLUSTER_SECRET=self.cluster["secret"],
                       # Jobs run on the task queue, where borrowed chunk tasks are what a killed node loses.
                       LABELFLIGHT_RESIDENT_ENABLED="false")
        else:
            env["LABELFLIGHT_CLUSTER_PORT"] = str(free_port())
        self.data.mkdir(parents=True, exist_ok=True)
        # SERVER_JAVA_OPTS adds server JVM options, e.g. -XX:NativeMemoryTracking=summary (then the run ends with
        # each node's native-memory summary).
        cmd = ["java", *flags, *os.environ.get("SERVER_JAVA_OPTS", "").split(), "--add-opens=java.base/java.nio=ALL-UNNAMED",
               "-Dhazelcast.local.localAddress=127.0.0.1", "-jar", str(JAR)]
        self.log = open(self.data / "server.log", "ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.data, stdout=self.log, stderr=subprocess.STDOUT)
        self.starts += 1
        start = time.monotonic()
        while True:
            try:
                health = memory_contract.health(self.http_port, TOKEN)
                if not self.cluster or health["cluster"]["members"] == len(self.cluster["ports"]) or self.starts == 1:
                    break
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if self.proc.poll() is not None or time.monotonic() - start > 180:
                raise SystemExit(f"{self.name} did not start; see {self.data / 'server.log'}")
            time.sleep(0.2)
        self.memories.append(memory_contract.ServerMemory.of(f"{self.name} (start {self.starts})", self.proc.pid,
                                                             self.http_port, TOKEN))
        NODE_NAMES[memory_contract.health(self.http_port, TOKEN)["node"]] = self.name
        if self.starts == 1:
            text = metrics_text(self.http_port)
            self.baseline = {"arrow": metric(text, "arrow"), "budget_free": metric(text, "budget_free")}

    def kill(self) -> None:
        self.memories[-1].measure()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.memories[-1].measure()
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self.log.close()


def run_client(index: int, port: int, args, rec: Recorder, stop_at: float, deadline: float,
               failed_jobs: list, counts: dict) -> None:
    rng = random.Random(1_000 + index)
    client = connect(port)
    own = f"client{index}"
    uploaded = False
    op = 0
    try:
        while (op < args.ops) if not args.duration else (time.monotonic() < stop_at):
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
            else:
                dataset = own if uploaded and rng.random() < 0.5 else "base"
                body = {"dataset": dataset, "labels": ["HAM", "SPAM"], "lfs": random_lfs(rng), "user": own}
                if args.nodes > 1:
                    body["mode"] = "queue"
                job = rec.timed("apply (DoAction)", lambda: action(client, "apply", body))["job"]
                table = rec.timed("labels (DoGet to the end)",
                                  lambda: client.do_get(flight.Ticket(f"labels/{job}".encode())).read_all())
                status = rec.timed("job_status (DoAction)", lambda: action(client, "job_status", {"job": job}))
                with rec.lock:
                    counts["jobs"] += 1
                    for node, chunks in (status.get("chunksByNode") or {}).items():
                        counts["byNode"][node] = counts["byNode"].get(node, 0) + chunks
                if status["state"] != "SUCCEEDED" or table.num_rows != status["rowsTotal"]:
                    failed_jobs.append(status)
            op += 1
    except Exception:  # noqa: BLE001 - already recorded by Recorder.timed
        pass
    finally:
        client.close()


class Sampler(threading.Thread):
    """Scrapes /metrics of every node and reads their RSS until stopped; keeps the peaks."""

    def __init__(self, nodes: list[Node]) -> None:
        super().__init__(daemon=True)
        self.nodes = nodes
        self.stop = threading.Event()
        self.peaks = {n.name: {"heap": 0.0, "direct": 0.0, "arrow": 0.0, "rss": 0.0} for n in nodes}
        self.budget_free_min = {n.name: float("inf") for n in nodes}
        self.samples = 0
        self.errors = 0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            for node in self.nodes:
                try:
                    text = metrics_text(node.http_port)
                except Exception:  # noqa: BLE001 - a missed scrape (or a node being restarted) is counted
                    self.errors += 1
                    continue
                self.samples += 1
                peaks = self.peaks[node.name]
                for key in ("heap", "direct", "arrow"):
                    value = metric(text, key)
                    if value is not None:
                        peaks[key] = max(peaks[key], value)
                free = metric(text, "budget_free")
                if free is not None:
                    self.budget_free_min[node.name] = min(self.budget_free_min[node.name], free)
                rss = memory_contract.status_kib(node.proc.pid, "VmRSS") if node.proc else None
                if rss is not None:
                    peaks["rss"] = max(peaks["rss"], rss * 1024.0)


class Killer(threading.Thread):
    """On the clock, every `every` seconds: SIGKILL the next victim that is up and start it again (in the
    background, so the next kill comes on time even while a restart takes long; then two nodes may be down)."""

    def __init__(self, victims: list[Node], every: float) -> None:
        super().__init__(daemon=True)
        self.victims = victims
        self.every = every
        self.stop = threading.Event()
        self.kills: list[str] = []
        self.skipped = 0
        self.errors: list[str] = []
        self.restarting: dict[str, threading.Thread] = {}
        self.lock = threading.Lock()

    def run(self) -> None:
        turn = 0
        while not self.stop.wait(max(0.0, START + self.every * (turn + 1) - time.monotonic())):
            turn += 1
            up = [n for n in self.victims if not (n.name in self.restarting and self.restarting[n.name].is_alive())]
            if not up:
                self.skipped += 1
                continue
            node = min(up, key=lambda n: n.starts)  # in turn: the one killed least so far
            at = time.monotonic() - START
            try:
                node.kill()
            except BaseException as e:  # noqa: BLE001 - reported; the run fails
                self.errors.append(f"{node.name}: kill: {e}")
                continue

            def restart(node=node, at=at):
                t0 = time.monotonic()
                try:
                    node.start()
                    with self.lock:
                        self.kills.append(f"{node.name} at +{at:.0f} s, back in {time.monotonic() - t0:.0f} s")
                except BaseException as e:  # noqa: BLE001 - reported; the run fails
                    with self.lock:
                        self.errors.append(f"{node.name}: restart: {e}")

            thread = threading.Thread(target=restart, daemon=True)
            self.restarting[node.name] = thread
            thread.start()

    def join_restarts(self) -> None:
        for thread in list(self.restarting.values()):
            thread.join(300)


START = time.monotonic()


def native_memory(pid: int) -> str:
    """The committed KiB per category of `jcmd PID VM.native_memory summary`, on one line."""
    out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True).stdout
    parts = [f"{m[1].strip()} {m[2]}" for m in re.finditer(r"^(?:-\s*)?([A-Za-z][A-Za-z ]+?) \(reserved=\d+KB, committed=(\d+)KB",
                                                          out, re.M)]
    return "; ".join(parts)


def await_baseline(node: Node, seconds: float = 120) -> dict:
    """Polls until Arrow's allocator and the free budget are back at their values after start; returns the last."""
    deadline = time.monotonic() + seconds
    last = {}
    while time.monotonic() < deadline:
        try:
            text = metrics_text(node.http_port)
            last = {"arrow": metric(text, "arrow"), "budget_free": metric(text, "budget_free")}
            if last == node.baseline:
                break
        except Exception:  # noqa: BLE001 - try again
            pass
        time.sleep(0.5)
    return last


def fresh_job(node: Node, args) -> str:
    """Applies new LFs to `base` through this node and streams the labels; '' when the job SUCCEEDED with every row,
    else what went wrong."""
    body = {"dataset": "base", "labels": ["HAM", "SPAM"], "lfs": random_lfs(random.Random(f"fresh-{node.name}")),
            "user": "fresh"}
    if args.nodes > 1:
        body["mode"] = "queue"
    bounded = flight.FlightCallOptions(timeout=120)  # a wedged node fails this check instead of hanging the run
    try:
        with connect(node.flight_port) as client:
            job = action(client, "apply", body, bounded)["job"]
            table = client.do_get(flight.Ticket(f"labels/{job}".encode()), bounded).read_all()
            status = action(client, "job_status", {"job": job}, bounded)
        if status["state"] != "SUCCEEDED" or table.num_rows != status["rowsTotal"] or table.num_rows != args.base_rows:
            return f"{status['state']}, {table.num_rows} rows of {status.get('rowsTotal')}"
        return ""
    except Exception as e:  # noqa: BLE001 - reported; the run fails
        return f"{type(e).__name__}: {str(e)[:200]}"


def by_name(by_id: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for node, chunks in by_id.items():
        name = NODE_NAMES.get(node, "other")
        out[name] = out.get(name, 0) + chunks
    return dict(sorted(out.items()))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    global START
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ops", type=int, default=12, help="operations per client (1/3 uploads), without --duration")
    parser.add_argument("--duration", type=float, default=0, help="seconds of load (instead of --ops)")
    parser.add_argument("--nodes", type=int, default=1, help="1, or a loopback cluster of N nodes")
    parser.add_argument("--kill-every", type=float, default=0, help="SIGKILL one of nodes 2..N every S seconds")
    parser.add_argument("--base-rows", type=int, default=200_000)
    parser.add_argument("--heap-mib", type=int, default=512)
    parser.add_argument("--budget-mib", type=int, default=448, help="direct-memory limit = budget + 64 MiB")
    parser.add_argument("--time-limit", type=float, default=0,
                        help="seconds before the run is failed (default: --duration + 600, or 600)")
    args = parser.parse_args()
    if not JAR.exists():
        print(f"missing {JAR}: run.sh builds it", file=sys.stderr)
        return 2
    if args.kill_every and args.nodes < 2:
        parser.error("--kill-every needs --nodes 2 or more")
    time_limit = args.time_limit or (args.duration + 600 if args.duration else 600)

    work = Path(tempfile.mkdtemp(prefix="labelflight-load-"))
    cluster = ({"name": f"lf-load-{os.getpid()}", "ports": [free_port() for _ in range(args.nodes)],
                "secret": os.urandom(24).hex()}
               if args.nodes > 1 else None)
    nodes = [Node(i, work, args, cluster) for i in range(args.nodes)]
    load_before = os.getloadavg()[0]
    rec = Recorder()
    failed_jobs: list = []
    counts = {"jobs": 0, "byNode": {}}
    killer = None
    sampler = Sampler(nodes)
    ends: dict[str, dict] = {}
    fresh: dict[str, str] = {}
    nmt: dict[str, str] = {}
    try:
        for node in nodes:
            node.start()
        if cluster:  # wait until every node sees the whole cluster
            for node in nodes:
                while memory_contract.health(node.http_port, TOKEN)["cluster"]["members"] != args.nodes:
                    time.sleep(0.2)
        entry = nodes[0]
        base = make_table(args.base_rows, seed=7)
        with connect(entry.flight_port) as c:
            writer, reader = c.do_put(flight.FlightDescriptor.for_path("datasets", "base"), base.schema)
            writer.write_table(base, max_chunksize=16_384)
            writer.done_writing()
            reader.read()
            writer.close()

        sampler.start()
        START = time.monotonic()
        if args.kill_every:
            killer = Killer(nodes[1:], args.kill_every)
            killer.start()
        deadline = START + time_limit
        stop_at = START + args.duration
        # Daemon threads joined up to the time limit: a client stuck in a call (a wedged server) fails the run and
        # the report is still written, instead of the harness waiting forever.
        threads = [threading.Thread(target=run_client, daemon=True,
                                    args=(i, entry.flight_port, args, rec, stop_at, deadline, failed_jobs, counts))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = sum(t.is_alive() for t in threads)
        if stuck:
            with rec.lock:
                rec.failures.append(f"time limit: {stuck} clients still inside a call after {time_limit:.0f} s "
                                    "(a node stopped answering)")
        wall = time.monotonic() - START
        if killer:
            killer.stop.set()
            killer.join()
            killer.join_restarts()
        sampler.stop.set()
        sampler.join()
        for node in nodes:
            ends[node.name] = await_baseline(node)
        for node in nodes:  # after the baseline check: every node still serves a fresh job (new LFs, all rows)
            fresh[node.name] = fresh_job(node, args)
            node.memories[-1].measure()
            if "NativeMemoryTracking" in os.environ.get("SERVER_JAVA_OPTS", ""):
                nmt[node.name] = native_memory(node.proc.pid)
    finally:
        for node in nodes:
            node.stop()

    calls = sum(len(v) for v in rec.latencies.values())
    mib = lambda b: f"{b / (1 << 20):,.0f} MiB"  # noqa: E731
    shape = f"{args.nodes} nodes" + (f", one of nodes 2-{args.nodes} killed (SIGKILL) every {args.kill_every:.0f} s"
                                     if args.kill_every else "") if args.nodes > 1 else "1 node"
    length = f"{args.duration:.0f} s" if args.duration else f"{args.ops} operations each"
    command = " ".join(["perf/load/run.sh", *sys.argv[1:]])
    flags, _ = memory_contract.server_flags(args.heap_mib, args.budget_mib)
    print(f"### {args.clients} clients, {length}, {shape}\n")
    print(f"`{command}`; servers `{' '.join(flags)}`, budget {args.budget_mib} MiB, base dataset "
          f"{args.base_rows:,} rows; {os.cpu_count()} CPUs shared with other work, load average "
          f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run.\n")
    print(f"{calls} calls in {wall:.1f} s, **{len(rec.failures)} failed**, {counts['jobs']} jobs, "
          f"{len(failed_jobs)} not SUCCEEDED" + (f"; chunk tasks run by node: {by_name(counts['byNode'])}"
                                                 if args.nodes > 1 else "")
          + ".\n")
    if killer:
        print(f"Kills: {len(killer.kills)}, one every {args.kill_every:.0f} s on the clock ({'; '.join(sorted(killer.kills, key=lambda k: int(k.split('+')[1].split(' ')[0])))})"
              + (f"; {killer.skipped} skipped (both nodes still restarting)" if killer.skipped else "")
              + (f"; errors: {killer.errors}" if killer.errors else "") + ".\n")
    print("| call | count | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for call, values in sorted(rec.latencies.items()):
        print(f"| {call} | {len(values)} | {1000 * statistics.median(values):.0f} | {1000 * pct(values, 0.99):.0f} | "
              f"{1000 * max(values):.0f} |")
    print()
    print(f"| node | peak RSS (VmHWM) / contract | peak heap | peak direct (NIO, incl. Arrow's pool) | peak Arrow "
          f"| min free budget | Arrow / free budget at the end (baseline) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    baseline_ok = True
    for node in nodes:
        p = sampler.peaks[node.name]
        end = ends.get(node.name, {})
        at_base = bool(end) and end == node.baseline
        baseline_ok &= at_base
        worst = max(node.memories, key=lambda m: (m.peak_mib or 0) - m.contract_mib)
        print(f"| {node.name} ({node.starts} start{'s' if node.starts > 1 else ''}) | {worst.cell()} | {mib(p['heap'])} "
              f"| {mib(p['direct'])} | {mib(p['arrow'])} | {mib(sampler.budget_free_min[node.name])} "
              f"| {mib(end.get('arrow', -1))} / {mib(end.get('budget_free', -1))} "
              f"({mib(node.baseline.get('arrow', -1))} / {mib(node.baseline.get('budget_free', -1))}): "
              f"{'back' if at_base else 'NOT BACK'} |")
    memories = [m for n in nodes for m in n.memories]
    contract_ok = all(m.within for m in memories)
    fresh_ok = len(fresh) == len(nodes) and not any(fresh.values())
    ok = (not rec.failures and not failed_jobs and contract_ok and baseline_ok and fresh_ok and sampler.samples > 0
          and not (killer and killer.errors))
    print()
    kinds: dict[str, int] = {}
    for f in rec.failures:  # "call: Type: message": grouped by call, type and the message's first clause
        call, _, rest = f.partition(": ")
        kind = f"{call}: {rest.split(' gRPC client debug context')[0].split('. ')[0][:160]}"
        kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        print("Failures by kind: " + "; ".join(f"{n} x {k}" for k, n in sorted(kinds.items(), key=lambda e: -e[1])) + ".\n")
    for f in rec.failures[:5]:
        print(f"- failure: {f}")
    for j in failed_jobs[:5]:
        print(f"- job: {json.dumps(j)[:300]}")
    for name, summary in nmt.items():
        print(f"\nNative memory of {name} at the end (NMT, committed KiB): {summary}")
    print("\nFresh job after the run (new LFs on `base` through each node, labels streamed): "
          + "; ".join(f"{name} {problem or 'SUCCEEDED, all rows'}" for name, problem in fresh.items()) + ".")
    print(f"\nResult: {'PASS' if ok else 'FAIL'} (failed calls {len(rec.failures)}, jobs not SUCCEEDED "
          f"{len(failed_jobs)}, memory contract {'kept' if contract_ok else 'BROKEN'}, allocators and budgets "
          f"{'back at baseline' if baseline_ok else 'NOT back at baseline'}, fresh job "
          f"{'served by every node' if fresh_ok else 'NOT served by every node'})")
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"(server logs and data kept in {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
