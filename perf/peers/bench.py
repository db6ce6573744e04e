"""Peer benchmark (issue 22): the same LF sets over the same generated messages table in LabelFlight (task
queue and resident copy, through the real server and the Python client), Polars, DuckDB and Snorkel, in
one process tree and one run; label matrices checked equal across engines.

Run from the repository root through ``perf/peers/run.sh`` (it makes the venvs and builds the jar):

    perf/peers/run.sh [--rows 200000] [--runs 3] [--snorkel-rows 3000] [--sets spam,support] [--write]
    perf/peers/run.sh --check          # CI short form: small data, one run, equality of L only (exit 1 if not)

Each engine runs in a process of its own (``bench.py one ENGINE``; Snorkel's in the Snorkel venv), so that
its peak RSS (VmHWM) is its own; LabelFlight's client process starts the server JVM as its child. Times are
from data in memory (Polars frame, DuckDB table, uploaded dataset) to the label matrix in the caller's hands
as an int8 NumPy matrix (LabelFlight: the client's DataFrame, so its times include the apply action and
the Flight stream of labels); medians after one warm-up run. CPU seconds per run are the process's (for
LabelFlight the server JVM's plus the client's), steadier than wall time on a shared machine.
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import lfsets  # noqa: E402

ENGINES = ["polars", "duckdb", "labelflight"]


# ---- measuring ---------------------------------------------------------------------------------------

def peak_rss_mib(pid="self"):
    """Peak resident set (VmHWM) of a process in MiB. (To be swapped for perf/'s shared peak-RSS helper.)"""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, runs, warmup=True, cpu=own_cpu):
    """Runs fn once untimed (if warmup), then ``runs`` times: (wall seconds, CPU seconds, last result)."""
    result = fn() if warmup else None
    times, cpus = [], []
    for _ in range(runs):
        c0, t0 = cpu(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    return times, cpus, result


def to_matrix(masks, labels):
    out = np.empty((len(masks[0]), len(masks)), dtype=np.int8)
    for j, (m, label) in enumerate(zip(masks, labels)):
        out[:, j] = np.where(m, label, -1)
    return out


# ---- the engines ---------------------------------------------------------------------------------------

def run_polars(args, set_name):
    import polars as pl
    df = pl.read_parquet(os.path.join(args.data, "messages.parquet"))
    classes, lfs = lfsets.SETS[set_name]()
    exprs = [pl.when(lf.polars().fill_null(False)).then(pl.lit(lf.label, pl.Int8)).otherwise(pl.lit(-1, pl.Int8))
             .alias(lf.name) for lf in lfs]

    def apply():
        return df.select(exprs).to_numpy()
    times, cpus, L = timed(apply, args.runs, not args.check)
    return {"rows": df.height, "times": times, "cpu": cpus, "L": L.astype(np.int8),
            "threads": pl.thread_pool_size(), "version": pl.__version__}


def run_duckdb(args, set_name):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads TO {args.threads}")
    path = os.path.join(args.data, "messages.parquet").replace("'", "''")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")
    classes, lfs = lfsets.SETS[set_name]()
    cols = ", ".join(f"CASE WHEN coalesce({lf.duckdb}, false) THEN {lf.label} ELSE -1 END::TINYINT AS \"{lf.name}\""
                     for lf in lfs)
    sql = f"SELECT {cols} FROM t ORDER BY id"
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]

    def apply():
        got = con.execute(sql).fetchnumpy()
        return np.column_stack([got[lf.name] for lf in lfs])
    times, cpus, L = timed(apply, args.runs, not args.check)
    return {"rows": rows, "times": times, "cpu": cpus, "L": L.astype(np.int8), "threads": args.threads,
            "version": duckdb.__version__}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, workdir):
    jar = os.path.join(ROOT, "server", "target", "labelflight-server.jar")
    flight_port, http_port = free_port(), free_port()
    env = dict(os.environ, LABELFLIGHT_FLIGHT_PORT=str(flight_port), LABELFLIGHT_HTTP_PORT=str(http_port),
               LABELFLIGHT_DATADIR=os.path.join(workdir, "lf-data"), LABELFLIGHT_DEMO_ENABLED="false",
               LABELFLIGHT_MEMORY_BUDGETMIB=str(args.budget_mib),
               # The peers have no authentication either (the tests cover it).
               LABELFLIGHT_AUTH_ENABLED="false")
    cmd = ["java", f"-Xmx{args.xmx}", f"-XX:MaxDirectMemorySize={args.xmx}",
           "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dhazelcast.local.localAddress=127.0.0.1"]
    cmd += args.java_opt + ["-jar", jar]
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError("server not healthy after 180 s")
        time.sleep(0.2)
    return proc, f"grpc://127.0.0.1:{flight_port}", cmd


def run_labelflight(args, sets):
    """Both paths for every set in one server: queue (cold), the first resident apply (loads the copy),
    resident (cold LF cache: new class names each run, which are part of every LF's cache key)."""
    import labelflight as lf
    import pyarrow.parquet as pq
    out = {}
    proc, location, cmd = start_server(args, args.data)
    counter = iter(range(10**6))
    try:
        with lf.connect(location) as c:
            table = pq.read_table(os.path.join(args.data, "messages.parquet"))
            t0 = time.perf_counter()
            c.upload(table, "messages", progress=False)
            upload_s = time.perf_counter() - t0
            rows = table.num_rows
            del table

            def both_cpu():
                return proc_cpu(proc.pid) + own_cpu()

            for set_name in sets:
                classes, lfs = lfsets.SETS[set_name]()
                specs = [lf.LF.from_dict(x.spec) for x in lfs]
                stats = {}

                def apply(mode, key):
                    def fn():
                        i = next(counter)
                        frame = c.apply("messages", specs, labels=[f"{k}_{i}" for k in classes], mode=mode)
                        stats.setdefault(key, []).append(c.status(frame))
                        return frame
                    return fn

                r = {"rows": rows, "upload_s": upload_s}
                times, cpus, frame = timed(apply("queue", "queue"), args.runs, not args.check, both_cpu)
                r["queue"] = {"times": times, "cpu": cpus, "L": frame.to_numpy().astype(np.int8),
                              "eval_ms": [s.get("evalMillis") for s in stats["queue"][-args.runs:]],
                              "path": stats["queue"][-1].get("path")}
                if set_name == sets[0]:
                    # The first resident apply loads the copy (and builds what it builds on first use).
                    c0, t0 = both_cpu(), time.perf_counter()
                    apply("resident", "first")()
                    r["resident_first"] = {"times": [time.perf_counter() - t0], "cpu": [both_cpu() - c0],
                                           "eval_ms": [stats["first"][-1].get("evalMillis")]}
                times, cpus, frame = timed(apply("resident", "resident"), args.runs, not args.check, both_cpu)
                r["resident"] = {"times": times, "cpu": cpus, "L": frame.to_numpy().astype(np.int8),
                                 "eval_ms": [s.get("evalMillis") for s in stats["resident"][-args.runs:]],
                                 "path": stats["resident"][-1].get("path")}
                out[set_name] = r
            for r in out.values():
                r["server_peak_mib"] = peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for r in out.values():
        r["client_peak_mib"] = peak_rss_mib()
        r["server_cmd"] = " ".join(cmd)
    return out


def run_one(args):
    """One engine in this process: saves L per set and prints one JSON line per set."""
    sets = args.sets.split(",")
    if args.engine == "labelflight":
        for set_name, r in run_labelflight(args, sets).items():
            for path in ("queue", "resident"):
                np.save(os.path.join(args.data, f"L-labelflight-{path}-{set_name}.npy"), r[path].pop("L"))
            print(json.dumps({"engine": "labelflight", "set": set_name, **r}), flush=True)
        return
    for set_name in sets:
        r = (run_polars if args.engine == "polars" else run_duckdb)(args, set_name)
        np.save(os.path.join(args.data, f"L-{args.engine}-{set_name}.npy"), r.pop("L"))
        r["peak_mib"] = peak_rss_mib()
        print(json.dumps({"engine": args.engine, "set": set_name, **r}), flush=True)


# ---- the whole run -------------------------------------------------------------------------------------

def subprocess_json(argv, env=None):
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-5:]
        return [{"error": f"exit {p.returncode}: " + " | ".join(tail)}]
    return lines


def main_all(args):
    import pyarrow.parquet as pq
    import data
    workdir = tempfile.mkdtemp(prefix="lf-peers-")
    args.data = workdir
    sets = args.sets.split(",")
    t_start = time.perf_counter()
    try:
        log(f"generating {args.rows:,} rows (seed {args.seed}) ...")
        table = data.generate(args.rows, args.seed)
        pq.write_table(table, os.path.join(workdir, "messages.parquet"), compression="zstd")
        stats = data.describe(table)
        sub = table.slice(0, min(args.snorkel_rows, table.num_rows)).drop_columns(["spam", "topic"])
        sub.to_pandas().to_json(os.path.join(workdir, "snorkel.jsonl"), orient="records", lines=True,
                                force_ascii=False)
        del table, sub
        load_before = os.getloadavg()
        common = ["--data", workdir, "--rows", str(args.rows), "--runs", str(args.runs), "--sets", args.sets,
                  "--threads", str(args.threads), "--xmx", args.xmx, "--budget-mib", str(args.budget_mib)]
        common += ["--check"] if args.check else []
        common += [f"--java-opt={o}" for o in args.java_opt]
        env = dict(os.environ, POLARS_MAX_THREADS=str(args.threads),
                   PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "clients", "python", "src"),
                                               os.environ.get("PYTHONPATH", "")]))
        results = {}
        for engine in ENGINES:
            log(f"running {engine} ...")
            for r in subprocess_json([sys.executable, __file__, "one", engine] + common, env):
                results.setdefault(engine, {})[r.get("set", "*")] = r
                log(f"  {summary_line(r)}")
        if args.snorkel_rows > 0:
            log("running snorkel ...")
            snorkel_python = subprocess.run([os.path.join(ROOT, "engine", "conformance", "setup-snorkel-venv.sh")],
                                            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            for r in subprocess_json([snorkel_python, os.path.join(HERE, "snorkel_run.py"), workdir, args.sets,
                                      str(1 if args.check else args.snorkel_runs)]):
                results.setdefault("snorkel", {})[r.get("set", "*")] = r
                log(f"  {summary_line(r)}")
        load_after = os.getloadavg()
        agreement = check_agreement(workdir, sets, results)
        report = render(args, results, agreement, stats, load_before, load_after, time.perf_counter() - t_start)
        print(report)
        if args.write:
            write_results(report)
        failed = [e for e, r in results.items() if "*" in r]
        bad = [a for a in agreement if a["mismatches"]]
        contract = mib(args.xmx) + args.budget_mib + 256
        over = [r["server_peak_mib"] for r in results.get("labelflight", {}).values()
                if r.get("server_peak_mib", 0) > contract]
        if args.check and (failed or bad or not agreement or over):
            log(f"peer check FAILED: engines that did not run {failed}; mismatching matrices "
                f"{[(a['engine'], a['set'], a['per_lf']) for a in bad]}; server peak RSS over the "
                f"{contract} MiB contract: {over}")
            sys.exit(1)
        if args.check:
            log(f"peer check passed: {len(agreement)} label matrices equal to LabelFlight's, server peak RSS "
                f"within Xmx + budget + 256 MiB")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def summary_line(r):
    if "error" in r:
        return f"error: {r['error']}"
    parts = [r["engine"], r["set"]]
    for key in ("times", "queue", "resident"):
        if key in r:
            t = r[key]["times"] if isinstance(r[key], dict) else r[key]
            parts.append(f"{key} {['%.2f' % x for x in t]}")
    return " ".join(parts)


def check_agreement(workdir, sets, results):
    """Every engine's matrix against LabelFlight's resident one, on the rows it labelled."""
    out = []
    for set_name in sets:
        ref_path = os.path.join(workdir, f"L-labelflight-resident-{set_name}.npy")
        if not os.path.exists(ref_path):
            continue
        ref = np.load(ref_path)
        _, lfs = lfsets.SETS[set_name]()
        for engine, path in [("labelflight queue", f"L-labelflight-queue-{set_name}.npy"),
                             ("polars", f"L-polars-{set_name}.npy"), ("duckdb", f"L-duckdb-{set_name}.npy"),
                             ("snorkel", f"L-snorkel-{set_name}.npy")]:
            p = os.path.join(workdir, path)
            if not os.path.exists(p):
                continue
            theirs = np.load(p)
            n = theirs.shape[0]
            diff = theirs != ref[:n]
            per_lf = {lfs[j].name: {"cells": int(diff[:, j].sum()), "first_row": int(np.argmax(diff[:, j])),
                                    "theirs": int(theirs[np.argmax(diff[:, j]), j]),
                                    "labelflight": int(ref[np.argmax(diff[:, j]), j])}
                      for j in range(diff.shape[1]) if diff[:, j].any()}
            out.append({"engine": engine, "set": set_name, "rows": n, "lfs": len(lfs),
                        "mismatches": int(diff.sum()), "per_lf": per_lf})
    return out


def med(xs):
    return statistics.median(xs)


NAMES = {"polars": "Polars (expressions, `str.contains` / `contains_any`)",
         "duckdb": "DuckDB (SQL, `regexp_matches` / `contains`)",
         "snorkel": "Snorkel `PandasLFApplier` (the client's `LF.to_snorkel`, Python `re`)"}


def render(args, results, agreement, stats, load_before, load_after, total_s):
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    command = "perf/peers/run.sh " + " ".join(sys.argv[2:])
    out = [f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {platform.node() or 'this machine'}: "
           f"`nproc` {os.cpu_count()}, {mem:.1f} GiB memory, load average {load_before[0]:.1f} / {load_before[1]:.1f} "
           f"before and {load_after[0]:.1f} / {load_after[1]:.1f} after (shared machine). Command: `{command.strip()}` "
           f"(took {total_s / 60:.1f} min). Data: {args.rows:,} generated messages (seed {args.seed}), text "
           f"{stats['text_mib']:,.0f} MiB, {stats['mean_bytes']:,.0f} B a row on average (median "
           f"{stats['median_bytes']:,.0f}, p99 {stats['p99_bytes']:,.0f}, min {stats['min_bytes']:,}, max "
           f"{stats['max_bytes']:,}), {stats['non_ascii_rows']:.0%} of rows with non-ASCII characters. "
           f"{args.runs} timed runs after one warm-up, medians; threads: {args.threads} for every engine "
           f"(Snorkel: 1, on the first {args.snorkel_rows:,} rows, extrapolated as rows/s). Versions: "
           f"{versions(results)}."]
    lf_all = results.get("labelflight", {})
    for set_name in args.sets.split(","):
        lfr = lf_all.get(set_name) or lf_all.get("*", {})
        _, lfs = lfsets.SETS[set_name]()
        kinds = {}
        for x in lfs:
            kinds[x.kind] = kinds.get(x.kind, 0) + 1
        out += ["", f"**Set `{set_name}`** ({len(lfs)} LFs: " + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")", ""]
        rows = []
        if "error" in lfr:
            out.append(f"LabelFlight did not run: {lfr['error']}")
            lf_rps = {}
        else:
            lf_rps = {p: lfr["rows"] / med(lfr[p]["times"]) for p in ("queue", "resident")}
            lf_cps = {p: lfr["rows"] / med(lfr[p]["cpu"]) for p in ("queue", "resident")}
            peak = f"server {lfr['server_peak_mib']:,.0f} + client {lfr['client_peak_mib']:,.0f}"
            for p, label in [("queue", "LabelFlight, task queue (`mode: queue`, cold LF cache)"),
                             ("resident_first", "LabelFlight, first resident apply (loads the copy)"),
                             ("resident", "LabelFlight, resident (`mode: resident`, cold LF cache)")]:
                if p not in lfr:
                    continue
                t, cpu = med(lfr[p]["times"]), med(lfr[p]["cpu"])
                ev = [e for e in lfr[p].get("eval_ms", []) if e is not None]
                rows.append((label, lfr["rows"], t, cpu, lfr["rows"] / t, peak,
                             f"server evalMillis {med(ev):,.0f}" if ev else ""))
        for engine in ("polars", "duckdb", "snorkel"):
            r = results.get(engine, {}).get(set_name) or results.get(engine, {}).get("*")
            if r is None:
                continue
            if "error" in r:
                rows.append((NAMES[engine], None, None, None, None, None, f"did not run: {r['error']}"))
                continue
            t, cpu = med(r["times"]), med(r["cpu"])
            rows.append((NAMES[engine], r["rows"], t, cpu, r["rows"] / t, f"{r['peak_mib']:,.0f}",
                         f"{r.get('threads', '')} threads"))
        out += ["| engine | rows | median s | CPU s / run | rows/s | rows per CPU-s | LabelFlight resident / this "
                "| LabelFlight queue / this | peak RSS MiB | notes |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for name, n, t, cpu, rps, peak, note in rows:
            if n is None:
                out.append(f"| {name} | | | | | | | | | {note} |")
                continue
            ratio_r = f"{lf_rps['resident'] / rps:.2f}x" if lf_rps else ""
            ratio_q = f"{lf_rps['queue'] / rps:.2f}x" if lf_rps else ""
            out.append(f"| {name} | {n:,} | {t:.2f} | {cpu:.2f} | {rps:,.0f} | {n / cpu:,.0f} | {ratio_r} | {ratio_q} "
                       f"| {peak} | {note} |")
        if lf_rps:
            contract = mib(args.xmx) + args.budget_mib + 256
            out.append("")
            out.append(f"Memory contract (RSS <= Xmx + budget + 256 MiB = {mib(args.xmx):,} + {args.budget_mib:,} + 256 = "
                       f"{contract:,} MiB): server peak RSS {lfr['server_peak_mib']:,.0f} MiB, "
                       f"{'within' if lfr['server_peak_mib'] <= contract else '**over**'} "
                       f"({lfr['server_peak_mib'] / contract:.0%} of it; the peak over the whole server run, both sets).")
            out.append(f"Resident / queue: **{lf_rps['resident'] / lf_rps['queue']:.2f}x** wall, "
                       f"{lf_cps['resident'] / lf_cps['queue']:.2f}x per CPU-second.")
            if "resident_first" in lfr:
                out.append(f"First resident apply (load included) / queue median: "
                           f"{med(lfr['resident_first']['times']) / med(lfr['queue']['times']):.2f}x the time.")
    out += ["", "Agreement (label matrices against LabelFlight's resident one, on the rows each engine labelled):"]
    for a in agreement:
        if a["mismatches"] == 0:
            out.append(f"- {a['engine']} / {a['set']}: {a['rows']:,} rows x {a['lfs']} LFs, identical.")
        else:
            out.append(f"- {a['engine']} / {a['set']}: **{a['mismatches']:,} cells differ** {json.dumps(a['per_lf'])}.")
    return "\n".join(out)


def mib(size):
    """A JVM size (-Xmx form: 2g, 1536m, bytes) in MiB."""
    units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    if size[-1].lower() in units:
        return int(float(size[:-1]) * units[size[-1].lower()])
    return int(size) // 2**20


def versions(results):
    out = []
    for engine in ("polars", "duckdb"):
        for r in results.get(engine, {}).values():
            if "version" in r:
                out.append(f"{engine} {r['version']}")
                break
    try:
        out.append(f"pyarrow {__import__('pyarrow').__version__}")
    except ImportError:
        pass
    out.append("snorkel 0.10.0 (pandas 2.2.3)")
    out.append(f"Java {java_version()}")
    return ", ".join(out)


def java_version():
    try:
        p = subprocess.run(["java", "-version"], capture_output=True, text=True)
        m = re.search(r'version "([^"]+)"', p.stderr)
        return m.group(1) if m else "?"
    except OSError:
        return "?"


def write_results(report):
    path = os.path.join(ROOT, "perf", "RESULTS.md")
    with open(path) as f:
        text = f.read()
    header = "## Peers: Polars, DuckDB, Snorkel (issue 22)"
    marker = "<!-- perf/peers/run.sh writes below this line -->"
    if marker not in text:
        text = text.rstrip("\n") + f"\n\n{header}\n\n{marker}\n"
    head, _, rest = text.partition(marker)
    nxt = re.search(r"^## ", rest, flags=re.M)
    tail = rest[nxt.start():] if nxt else ""
    with open(path, "w") as f:
        f.write(head + marker + "\n\n" + report + "\n\n" + tail)


def export(args):
    """Writes DIR/lfs-SET.json and, unless it is there, DIR/messages.arrow (65,536-row batches, as the
    server's chunks) for EngineProfile.java (perf/peers/profile.sh)."""
    import pyarrow as pa
    import data
    os.makedirs(args.data, exist_ok=True)
    path = os.path.join(args.data, "messages.arrow")
    if not os.path.exists(path):
        table = data.generate(args.rows, args.seed)
        with pa.OSFile(path + ".tmp", "wb") as f:
            with pa.ipc.new_file(f, table.schema) as w:
                for batch in table.to_batches(max_chunksize=65_536):
                    w.write_batch(batch)
        os.rename(path + ".tmp", path)
        log(f"wrote {args.rows:,} rows to {path}: {data.describe(table)}")
    for set_name, make in lfsets.SETS.items():
        classes, lfs = make()
        with open(os.path.join(args.data, f"lfs-{set_name}.json"), "w") as f:
            # The server takes class names (the client resolves indexes to names).
            json.dump({"labels": classes, "lfs": [{**x.spec, "label": classes[x.label]} for x in lfs]}, f, indent=1)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["all", "one", "export"])
    ap.add_argument("engine", nargs="?")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--snorkel-rows", type=int, default=3_000)
    ap.add_argument("--snorkel-runs", type=int, default=1)
    ap.add_argument("--sets", default="spam,support")
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data")
    ap.add_argument("--xmx", default="2g")
    ap.add_argument("--budget-mib", type=int, default=1536)
    ap.add_argument("--java-opt", action="append", default=[], help="extra JVM option for the server")
    ap.add_argument("--check", action="store_true", help="CI short form: one untimed-warm-up-free run, exit 1 "
                                                         "unless every matrix equals LabelFlight's")
    ap.add_argument("--write", action="store_true", help="write the section into perf/RESULTS.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if args.check and "--rows" not in " ".join(sys.argv):
        args.rows = 3_000
    if args.check:
        args.runs = 1
        args.snorkel_rows = min(args.snorkel_rows, args.rows)
    if args.mode == "one":
        run_one(args)
    elif args.mode == "export":
        export(args)
    else:
        main_all(args)


if __name__ == "__main__":
    main()
