"""Many LFs through the server (issue 10): a generated reviews dataset of --rows rows (the server's demo
generator, chunks of 65,536 rows) labelled by --lfs keyword LFs on one column, on the out-of-core task queue
of a server started with -Xmx2g, then streamed back sparse and dense; the same job with --peer-lfs LFs and
Snorkel's PandasLFApplier on a --snorkel-rows subset run in the same session as peers. Each run uses new LFs
(another seed), so nothing comes from the label cache. Peak heap comes from the GC log (heap before each
collection) and from /metrics sampled every 100 ms. Prints one Markdown section."""

from __future__ import annotations

import argparse
import json
import os
import platform
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

import numpy as np

import labelflight as lf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "perf"))
import memory_contract  # noqa: E402  (peak RSS against the memory contract, shared by the perf harnesses)

TOKEN = "many-lfs-bench-token"  # the dev user's, who owns the demo dataset
# ReviewsGenerator.WORDS: the vocabulary review text is drawn from.
WORDS = ["the", "product", "works", "great", "battery", "life", "is", "good", "bad", "quality", "shipping", "was",
         "fast", "slow", "would", "buy", "again", "not", "recommend", "love", "it", "terrible", "screen", "sound",
         "price", "value", "for", "money", "box", "arrived", "broken", "return", "support", "helpful", "easy", "to",
         "use", "setup", "size", "fits", "well", "color", "nice", "cheap", "feels", "solid", "after", "week",
         "month", "stopped", "working", "Excellent", "Happy", "with", "purchase", "Okay", "but", "expected", "more"]


def lf_specs(count: int, seed: int) -> list[dict]:
    """count keyword LFs on text, three two-word phrases each (case-insensitive substring)."""
    r = random.Random(seed)
    return [{"name": f"lf{i}", "kind": "keyword", "column": "text", "label": ["HAM", "SPAM"][i % 2],
             "keywords": [f"{r.choice(WORDS)} {r.choice(WORDS)}".lower() for _ in range(3)]} for i in range(count)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, jar: Path, rows: int, workdir: Path, xmx: str, budget_mib: int):
        self.flight, self.http = free_port(), free_port()
        self.gc_log = workdir / "gc.log"
        self.log = workdir / "server.log"
        flags, budget_env = memory_contract.server_flags(memory_contract.mib(xmx), budget_mib)
        env = dict(os.environ, LABELFLIGHT_FLIGHT_PORT=str(self.flight), LABELFLIGHT_HTTP_PORT=str(self.http),
                   LABELFLIGHT_DATADIR=str(workdir / "data"), LABELFLIGHT_DEMO_ENABLED="true",
                   LABELFLIGHT_DEMO_ROWS=str(rows), LABELFLIGHT_DEMO_DATASET="reviews",
                   LABELFLIGHT_AUTH_DEVUSER_ENABLED="true", LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN, **budget_env)
        cmd = ["java", *flags, f"-Xlog:gc:file={self.gc_log}", "--add-opens=java.base/java.nio=ALL-UNNAMED",
               "-Dhazelcast.local.localAddress=127.0.0.1", "-jar", str(jar)]
        self.command = " ".join(cmd)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not healthy after 600 s")
            time.sleep(0.5)
        self.memory = memory_contract.ServerMemory.of("LabelFlight server", self.proc.pid, self.http, TOKEN)
        self.peak_metrics = 0
        self._stop = False
        threading.Thread(target=self._sample, daemon=True).start()

    def heap_used(self) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.http}/metrics",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as r:
            text = r.read().decode()
        return int(sum(float(m) for m in re.findall(r'^jvm_memory_used_bytes\{[^}]*area="heap"[^}]*\} (\S+)', text, re.M)))

    def _sample(self):
        while not self._stop:
            try:
                self.peak_metrics = max(self.peak_metrics, self.heap_used())
            except OSError:
                pass
            time.sleep(0.1)

    def gc_peak(self) -> tuple[int, int, int, int]:
        """(largest heap before a collection, largest after one, largest after a mixed or full collection,
        committed heap) in MiB, from the GC log. A young collection leaves old garbage in place, so only
        mixed and full collections bound the live heap."""
        before = after = old = committed = 0
        for m in re.finditer(r"Pause (.*?) (\d+)M->(\d+)M\((\d+)M\)", self.gc_log.read_text()):
            before, after, committed = max(before, int(m[2])), max(after, int(m[3])), max(committed, int(m[4]))
            if "Mixed" in m[1] or "Full" in m[1]:
                old = max(old, int(m[3]))
        return before, after, old, committed

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (less sensitive to a busy machine than wall time)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_peak_mib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return 0

    def stop(self):
        self._stop = True
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_job(server: Server, client: lf.Client, rows: int, count: int, seed: int) -> dict:
    specs = lf_specs(count, seed)
    t0, c0 = time.perf_counter(), server.cpu_seconds()
    job = client.apply("reviews", specs, labels=["HAM", "SPAM"], mode="queue", wait=False)
    status = job.wait()
    applied, apply_cpu = time.perf_counter() - t0, server.cpu_seconds() - c0
    assert status["state"] == "SUCCEEDED", status
    t0, c0 = time.perf_counter(), server.cpu_seconds()
    votes = 0
    for batch in client._stream(f"labels/{job.id}?layout=sparse"):
        votes += batch.num_rows
    sparse_s, sparse_cpu = time.perf_counter() - t0, server.cpu_seconds() - c0
    t0, c0 = time.perf_counter(), server.cpu_seconds()
    dense_rows = 0
    for batch in job.batches():
        dense_rows += batch.num_rows
    dense_s, dense_cpu = time.perf_counter() - t0, server.cpu_seconds() - c0
    assert dense_rows == rows
    return {"apply": applied, "apply_cpu": apply_cpu, "sparse": sparse_s, "sparse_cpu": sparse_cpu,
            "dense": dense_s, "dense_cpu": dense_cpu, "votes": votes, "job": job.id, "specs": specs}


def snorkel_peer(client: lf.Client, specs: list[dict], job_id: str, rows: int) -> dict:
    """PandasLFApplier with the same LFs on the first rows; checks its matrix against LabelFlight's."""
    from snorkel.labeling import PandasLFApplier, labeling_function
    table = client.download("reviews", as_arrow=True).slice(0, rows)
    df = table.select(["text"]).to_pandas()
    lfs = []
    for i, spec in enumerate(specs):
        keywords, label = spec["keywords"], 0 if spec["label"] == "HAM" else 1

        def f(x, keywords=keywords, label=label):
            text = x.text.lower() if isinstance(x.text, str) else ""
            return label if any(k in text for k in keywords) else -1
        lfs.append(labeling_function(name=spec["name"])(f))
    t0 = time.perf_counter()
    L = PandasLFApplier(lfs).apply(df, progress_bar=False)
    seconds = time.perf_counter() - t0
    ours = (client.labels(job_id, layout="sparse").tocsr()[:rows].toarray() - 1)
    return {"seconds": seconds, "rows": rows, "agree": bool(np.array_equal(L, ours)), "bytes": L.nbytes,
            "dtype": str(L.dtype)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jar", default=str(ROOT / "server/target/labelflight-server.jar"))
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--lfs", type=int, default=2000)
    p.add_argument("--peer-lfs", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--snorkel-rows", type=int, default=2000)
    p.add_argument("--xmx", default="2g")
    p.add_argument("--budget-mib", type=int, default=1536, help="direct-memory limit = this + 64 MiB")
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="many-lfs-"))
    server = Server(Path(args.jar), args.rows, workdir, args.xmx, args.budget_mib)
    results = {args.peer_lfs: [], args.lfs: []}
    snorkel = None
    try:
        with lf.connect(f"grpc://127.0.0.1:{server.flight}", token=TOKEN) as client:
            for run in range(args.runs):
                for count in (args.peer_lfs, args.lfs):
                    r = run_job(server, client, args.rows, count, seed=1000 * run + count)
                    results[count].append(r)
                    print(f"run {run} {count} LFs: apply {r['apply']:.1f} s, sparse {r['sparse']:.1f} s, "
                          f"dense {r['dense']:.1f} s, {r['votes']} votes", file=sys.stderr, flush=True)
            if args.snorkel_rows:
                last = results[args.lfs][-1]
                snorkel = snorkel_peer(client, last["specs"], last["job"], args.snorkel_rows)
        gc_before, gc_after, gc_old, committed = server.gc_peak()
        rss = server.rss_peak_mib()
        server.memory.measure()
        peak_metrics = server.peak_metrics // (1 << 20)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def med(count, key):
        return statistics.median(r[key] for r in results[count])

    load = os.getloadavg()
    print(f"\n### Many LFs (issue 10): {args.rows:,} rows x {args.lfs:,} keyword LFs through the server, -Xmx{args.xmx}\n")
    print("| job | apply, queue path (server CPU) | LF-rows/s wall (per server CPU-s) | sparse stream (server CPU) "
          "| votes | dense stream (server CPU) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for count in (args.peer_lfs, args.lfs):
        a, ac = med(count, "apply"), med(count, "apply_cpu")
        print(f"| {count:,} LFs | {a:.1f} s ({ac:.1f} s) | {args.rows * count / a / 1e6:.0f} M "
              f"({args.rows * count / ac / 1e6:.0f} M) | {med(count, 'sparse'):.1f} s ({med(count, 'sparse_cpu'):.1f} s) | "
              f"{int(med(count, 'votes')):,} | {med(count, 'dense'):.1f} s ({med(count, 'dense_cpu'):.1f} s) |")
    if snorkel:
        rate = snorkel["rows"] / snorkel["seconds"]
        print(f"| Snorkel PandasLFApplier, {args.lfs:,} LFs on {snorkel['rows']:,} rows | {snorkel['seconds']:.1f} s "
              f"(extrapolated to {args.rows:,} rows: {args.rows / rate / 3600:.1f} h) | "
              f"{rate * args.lfs / 1e6:.2f} M | | | dense {snorkel['dtype']} matrix "
              f"{snorkel['bytes'] / snorkel['rows'] * args.rows / 2**30:.1f} GiB at {args.rows:,} rows |")
    print()
    print(f"Peak heap of the server over the whole session (all runs, both jobs, streams): "
          f"{gc_before} MiB before a collection, {gc_after} MiB after one, {gc_old} MiB after a mixed or full "
          f"collection (GC log; a young collection leaves old garbage); "
          f"{peak_metrics} MiB sampled from /metrics every 100 ms; committed heap {committed} MiB; "
          f"peak RSS {rss} MiB. Medians of {args.runs} runs, new LFs each run (no cache hits).")
    print(f"{server.memory.summary()}.")
    if snorkel:
        print(f"Snorkel's matrix on the subset equals LabelFlight's rows: {snorkel['agree']}.")
    print(f"Machine: {os.cpu_count()} cores, {platform.platform()}, load average {load[0]:.1f} at the end. "
          f"Server: `{server.command}` (demo generator, chunks of 65,536 rows).")
    print(f"Command: `perf/many-lfs/run.sh --rows {args.rows} --lfs {args.lfs} --peer-lfs {args.peer_lfs} "
          f"--runs {args.runs} --snorkel-rows {args.snorkel_rows} --xmx {args.xmx} --budget-mib {args.budget_mib}`")


if __name__ == "__main__":
    main()
