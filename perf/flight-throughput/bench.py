"""Flight throughput benchmark (issue 7): upload (DoPut) and download (DoGet dataset/NAME@VERSION) of a
~1 GiB DataFrame over loopback, against a real LabelFlight server and, in the same run, a bare
pyarrow.flight echo server as the ceiling. Prints a Markdown table for perf/RESULTS.md.

MB = 10^6 bytes of Arrow buffers (the source table's ``nbytes``); each figure is the median of RUNS runs
after one warm-up, and the LabelFlight server first takes a few untimed uploads (--server-warmup) because
its JIT keeps compiling the upload path for several uploads (measured: ~1 s of C2 time per 0.5 GiB upload
over the first five). Started by run.sh, which prepares the venv and the server jar.
"""

from __future__ import annotations

import argparse
import os
import platform
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
import pandas as pd
import pyarrow as pa
import pyarrow.flight as flight

import labelflight as lf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "perf"))
import memory_contract  # noqa: E402  (peak RSS against the memory contract, shared by the perf harnesses)
HERE = Path(__file__).resolve().parent


# ---- data ------------------------------------------------------------------------------------------

WORDS = ("the a an of to and in is it for on with this that was great bad product service delivery price "
         "quality free money click here offer order refund broken works love hate recommend never again "
         "fast slow cheap expensive support call email account password update winner prize urgent "
         "reply thanks please best worst ok fine item size colour color battery screen shipping").split()


def make_table(target_bytes: int, seed: int) -> pa.Table:
    """A seeded table of about ``target_bytes`` Arrow bytes: review-like text (~120 bytes, 2% null),
    int64 ids, float64 scores (5% null), int64 counts and bool flags (no nulls: a nullable bool column becomes a slow object column in pandas)."""
    rng = np.random.default_rng(seed)
    per_row = 120 + 4 + 8 + 8 + 8 + 3 / 8 + 1 / 8  # text + offset, three 8-byte columns, bool + bitmaps
    rows = int(target_bytes / per_row)
    # Text: random lengths around 120 cut from a long stream of vocabulary words (a 16 MB word stream,
    # repeated; slices start at different places so rows differ).
    lengths = np.clip(rng.normal(120, 35, rows), 16, 400).astype(np.int32)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    words = rng.choice(np.array(WORDS, dtype=object), 16 * 1024 * 1024 // 6)
    base = np.frombuffer(" ".join(words).encode(), dtype=np.uint8)
    data = np.resize(base, total)
    text_valid = rng.random(rows) >= 0.02
    text = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data),
                                       _bitmap(text_valid), null_count=int((~text_valid).sum()))
    score = rng.normal(3.5, 1.2, rows)
    score_valid = rng.random(rows) >= 0.05
    return pa.table({
        "text": text,
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "score": pa.array(score, mask=~score_valid),
        "votes": pa.array(rng.integers(0, 1_000_000, rows, dtype=np.int64)),
        "verified": pa.array(rng.random(rows) < 0.3),
    })


def _bitmap(valid: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


# ---- servers ---------------------------------------------------------------------------------------

class EchoServer(flight.FlightServerBase):
    """The ceiling: DoPut keeps the table in memory, DoGet streams it back (no disk, no re-chunking)."""

    def __init__(self, location: str):
        super().__init__(location)
        self.tables: dict[bytes, pa.Table] = {}

    def do_put(self, context, descriptor, reader, writer):
        key = b"/".join(descriptor.path)
        self.tables.pop(key, None)
        self.tables[key] = reader.read_all()

    def do_get(self, context, ticket):
        return flight.RecordBatchStream(self.tables[ticket.ticket])

    def list_actions(self, context):
        return []  # answers the readiness check


def serve_echo(port: int) -> None:
    EchoServer(f"grpc://127.0.0.1:{port}").serve()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> str:
    """Peak RSS (VmHWM), and the current RSS split into anonymous memory and mapped files (page cache)."""
    kib = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "RssAnon", "RssFile"):
            kib[key] = int(rest.split()[0])
    return (f"peak {kib['VmHWM'] / 1024:,.0f} MiB (at the end: {kib['RssAnon'] / 1024:,.0f} MiB anonymous, "
            f"{kib['RssFile'] / 1024:,.0f} MiB mapped files)")


def wait_for(check, proc: subprocess.Popen, what: str, log: Path | None = None, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}\n{tail}")
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up in {seconds} s")
        time.sleep(0.2)


def start_labelflight(jar: Path, data_dir: Path, log: Path, xmx: str, budget_mib: int, java_opts: list[str],
                      extra_env: dict, started: list) -> tuple[str, memory_contract.ServerMemory]:
    flight_port, http_port = free_port(), free_port()
    flags, budget_env = memory_contract.server_flags(memory_contract.mib(xmx), budget_mib)
    env = dict(os.environ, LABELFLIGHT_FLIGHT_PORT=str(flight_port), LABELFLIGHT_HTTP_PORT=str(http_port),
               LABELFLIGHT_DATADIR=str(data_dir), LABELFLIGHT_DEMO_ENABLED="false",
               # Like the echo server it is compared with: no per-call token check (tests cover authentication).
               LABELFLIGHT_AUTH_ENABLED="false", **budget_env, **extra_env)
    cmd = ["java", *flags, "--add-opens=java.base/java.nio=ALL-UNNAMED",
           "-Dhazelcast.local.localAddress=127.0.0.1", *java_opts, "-jar", str(jar)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    started.append(proc)

    def healthy() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=2) as r:
            return r.status == 200

    wait_for(healthy, proc, "LabelFlight server", log)
    return f"grpc://127.0.0.1:{flight_port}", memory_contract.ServerMemory.of("LabelFlight server", proc.pid, http_port)


def start_echo(started: list) -> str:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-echo", str(port)], stdin=subprocess.DEVNULL)
    started.append(proc)
    location = f"grpc://127.0.0.1:{port}"

    def answers() -> bool:
        with flight.FlightClient(location) as c:
            list(c.list_actions())
        return True

    wait_for(answers, proc, "echo server")
    return location


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()  # the echo server's serve() ignores SIGTERM; it gets killed after the timeout
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- measurements ----------------------------------------------------------------------------------

def raw_put(client: flight.FlightClient, path: list[str], table: pa.Table, batch_rows: int) -> bytes | None:
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(*path), table.schema)
    for batch in table.to_batches(max_chunksize=batch_rows):
        writer.write_batch(batch)
    writer.done_writing()
    ack = reader.read()
    writer.close()
    return None if ack is None else ack.to_pybytes()


def raw_get(client: flight.FlightClient, ticket: str) -> pa.Table:
    return client.do_get(flight.Ticket(ticket.encode())).read_all()


def timed(fn, runs: int) -> tuple[list[float], object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--serve-echo", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--gib", type=float, default=1.0, help="Arrow size of the DataFrame in GiB (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--xmx", default="1g", help="LabelFlight server heap (Arrow buffers are off-heap)")
    ap.add_argument("--budget-mib", type=int, default=960,
                    help="LabelFlight memory budget; its direct-memory limit is this + 64 MiB")
    ap.add_argument("--java-opt", action="append", default=[], help="extra JVM option for the server (repeatable)")
    ap.add_argument("--jar", type=Path, default=ROOT / "server" / "target" / "labelflight-server.jar")
    ap.add_argument("--server-warmup", type=int, default=2,
                    help="untimed uploads (each: one through the client, one raw) before any row, so that the "
                         "server's JIT has compiled the upload path as in a long-running server (default 2)")
    ap.add_argument("--big-batch-mib", type=int, default=32,
                    help="also upload raw in batches of this many MiB (0: skip)")
    ap.add_argument("--data-parent", type=Path, default=ROOT / "perf" / "flight-throughput",
                    help="the server's data directory is made under here (same disk as the project)")
    args = ap.parse_args()
    if args.serve_echo:
        serve_echo(args.serve_echo)
        return

    t0 = time.perf_counter()
    table = make_table(int(args.gib * (1 << 30)), args.seed)
    frame = table.to_pandas()
    nbytes = table.nbytes
    mb = nbytes / 1e6
    print(f"table: {table.num_rows:,} rows, {nbytes:,} bytes ({nbytes / (1 << 30):.2f} GiB), made in "
          f"{time.perf_counter() - t0:.1f} s; DataFrame dtypes: {dict(frame.dtypes.astype(str))}", flush=True)

    from labelflight.upload import UploadSource
    client_batch_rows = next(UploadSource.of(frame).batches()).num_rows  # what c.upload sends
    big_rows = max(1, int(args.big_batch_mib * (1 << 20) / (nbytes / table.num_rows))) if args.big_batch_mib else 0

    data_dir = Path(tempfile.mkdtemp(prefix="lf-data-", dir=args.data_parent))
    log = data_dir.parent / (data_dir.name + ".log")
    started: list[subprocess.Popen] = []  # stopped in finally, whatever fails
    rows: list[tuple[str, str, list[float], str]] = []  # server, operation, times, ceiling key
    try:
        extra = {k: v for k, v in os.environ.items() if k.startswith("LABELFLIGHT_STORE_")}
        lf_location, lf_memory = start_labelflight(args.jar, data_dir, log, args.xmx, args.budget_mib, args.java_opt,
                                                   extra, started)
        echo_location = start_echo(started)
        lf_proc, echo_proc = started
        lfc = lf.connect(lf_location)
        raw_lf = flight.FlightClient(lf_location)
        echo = flight.FlightClient(echo_location)

        def bench(server: str, what: str, fn, key: str):
            # key: for echo rows, the name of this ceiling; for LabelFlight rows, the echo row they compare to.
            times, result = timed(fn, args.runs)
            rows.append((server, what, times, key))
            print(f"{server:11s} {what:58s} median {statistics.median(times):6.2f} s  "
                  f"{mb / statistics.median(times):7.1f} MB/s  runs {[round(t, 2) for t in times]}", flush=True)
            return result

        for _ in range(args.server_warmup):
            lfc.upload(frame, "warmup", progress=False)
            raw_put(raw_lf, ["datasets", "warmup_raw"], table, client_batch_rows)

        # Uploads. Each LabelFlight upload stores a new version of the dataset; the echo server replaces its table.
        version = bench("LabelFlight", f"upload: client c.upload(DataFrame) ({client_batch_rows:,}-row batches)",
                        lambda: lfc.upload(frame, "bench", progress=False), "put")
        bench("LabelFlight", f"upload: raw do_put(Table), {client_batch_rows:,}-row batches",
              lambda: raw_put(raw_lf, ["datasets", "bench_raw"], table, client_batch_rows), "put")
        if big_rows:
            bench("LabelFlight", f"upload: raw do_put(Table), {big_rows:,}-row batches ({args.big_batch_mib} MiB)",
                  lambda: raw_put(raw_lf, ["datasets", "bench_big"], table, big_rows), "put_big")
        bench("echo", f"upload: raw do_put(Table), {client_batch_rows:,}-row batches",
              lambda: raw_put(echo, ["bench"], table, client_batch_rows), "put")
        if big_rows:
            bench("echo", f"upload: raw do_put(Table), {big_rows:,}-row batches ({args.big_batch_mib} MiB)",
                  lambda: raw_put(echo, ["bench_big"], table, big_rows), "put_big")
        raw_put(echo, ["bench"], table, client_batch_rows)

        # Downloads of the same data.
        ticket = f"dataset/bench@{version}"
        got = bench("LabelFlight", f"download: raw do_get({ticket}).read_all()", lambda: raw_get(raw_lf, ticket), "get")
        got_rows, got_batches = got.num_rows, len(got.to_batches())
        del got
        bench("LabelFlight", "download: client c.download(name, version) -> DataFrame",
              lambda: lfc.download("bench", version), "get_pandas")
        bench("LabelFlight", "download: client c.download(..., as_arrow=True)",
              lambda: lfc.download("bench", version, as_arrow=True), "get")
        bench("echo", "download: raw do_get(...).read_all()", lambda: raw_get(echo, "bench"), "get")
        bench("echo", "download: raw do_get(...).read_all().to_pandas()", lambda: raw_get(echo, "bench").to_pandas(), "get_pandas")
        if got_rows != table.num_rows:
            raise RuntimeError(f"downloaded {got_rows} rows, uploaded {table.num_rows}")

        lf_rss = rss_mib(lf_proc.pid) + "; " + lf_memory.measure().summary()
        echo_rss = rss_mib(echo_proc.pid)
        disk = sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file())
        chunk_rows = extra.get("LABELFLIGHT_STORE_CHUNKROWS", "65536 (default)")
        lfc.close(); raw_lf.close(); echo.close()
    finally:
        for p in started:
            stop(p)
        shutil.rmtree(data_dir, ignore_errors=True)

    report(args, table, mb, rows, lf_rss, echo_rss, got_batches, chunk_rows, disk)


def report(args, table, mb, rows, lf_rss, echo_rss, got_batches, chunk_rows, disk) -> None:
    ceilings = {key: mb / statistics.median(t) for s, _, t, key in rows if s == "echo"}
    load = os.getloadavg()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    print()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: "
          f"nproc {os.cpu_count()}, {mem:.0f} GiB RAM, load average after the run "
          f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; pyarrow {pa.__version__}, pandas {pd.__version__}, "
          f"Python {platform.python_version()}")
    print(f"DataFrame: {table.num_rows:,} rows x {table.num_columns} columns, {table.nbytes:,} Arrow bytes "
          f"({mb:,.0f} MB); LabelFlight chunkRows {chunk_rows}, -Xmx{args.xmx}, DoGet sent {got_batches} batches; "
          f"median of {args.runs} runs after a warm-up; {args.server_warmup} x 2 server warm-up uploads first")
    print()
    print("| server | operation | median s | MB/s | ratio to echo | runs (s) |")
    print("|---|---|---:|---:|---:|---|")
    for s, w, t, key in rows:
        med = statistics.median(t)
        rate = mb / med
        ratio = f"{rate / ceilings[key]:.2f}" if s != "echo" and key in ceilings else ""
        print(f"| {s} | {w} | {med:.2f} | {rate:,.0f} | {ratio} | {', '.join(f'{x:.2f}' for x in t)} |")
    print()
    print(f"RSS: LabelFlight server {lf_rss}; echo server {echo_rss}; "
          f"LabelFlight data directory after all uploads: {disk / 1e9:.1f} GB")


if __name__ == "__main__":
    main()
