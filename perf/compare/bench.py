"""Side by side (issue 8): the same 10 LFs over the same seeded dataset in Snorkel (PandasLFApplier,
DaskLFApplier), vectorized pyarrow.compute, Ray Data and LabelFlight (through its Python client), then
Snorkel's LabelModel vs LabelFlight's generative label model on the same label matrix.

Run from the repository root:  perf/compare/run.sh [--rows N] [--runs R] [--snorkel-rows N] [--dask-rows N]

Each system runs in a process of its own (``bench.py one SYSTEM``) so that its peak memory is its own:
ru_maxrss of that process, or the sampled RSS sum of it and its descendants (Dask and Ray workers) if
larger. LabelFlight's is the server JVM's VmHWM. Times are medians after a warm-up run and include
building the label matrix as a NumPy int8 array (LabelFlight: as the client's DataFrame).
"""
import argparse
import json
import os
import platform
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
from datetime import datetime, timezone

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "perf"))
import memory_contract  # noqa: E402  (peak RSS against the memory contract, shared by the perf harnesses)
HAM, SPAM = 0, 1
ABSTAIN = -1

# ---- the data set ------------------------------------------------------------------------------

WORDS = ("the product works great battery life is good bad quality shipping was fast slow would buy again not "
         "recommend love it terrible screen sound price value for money box arrived broken return support "
         "helpful easy to use setup size fits well color nice cheap feels solid after week month stopped "
         "working Excellent Happy with purchase Okay but expected more worth charger cable kitchen daughter "
         "son gift wrap seller refund replacement manual instructions noisy quiet bright dim comfortable "
         "heavy light sturdy flimsy durable review stars honestly overall design").split()
SPAM_PHRASES = ["FREE money", "click here", "Winner", "free gift card", "limited offer", "act now",
                "Congratulations you won"]
URLS = ["http://deals.example.com/x", "https://win.example.net/free", "www.promo.example"]


def generate(rows, seed):
    """A seeded reviews table: text (~120 chars), stars (int32), price (float64), gold (int32: 0 HAM, 1 SPAM)."""
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    spam = rng.random(rows) < 0.30
    nwords = 8 + rng.integers(0, 22, rows)
    width = 30
    u1 = rng.random((rows, width))
    u2 = rng.random((rows, width))
    is_spam_tok = u1 < np.where(spam, 0.12, 0.01)[:, None]
    is_url_tok = ~is_spam_tok & (u2 < np.where(spam, 0.04, 0.0)[:, None])
    vocab = WORDS + SPAM_PHRASES + URLS
    idx = rng.integers(0, len(WORDS), (rows, width))
    idx = np.where(is_spam_tok, len(WORDS) + rng.integers(0, len(SPAM_PHRASES), (rows, width)), idx)
    idx = np.where(is_url_tok, len(WORDS) + len(SPAM_PHRASES) + rng.integers(0, len(URLS), (rows, width)), idx)
    punct = np.where(rng.random(rows) < 0.5, ".", "!")
    texts = [" ".join([vocab[j] for j in row[:k]]) + p for row, k, p in zip(idx.tolist(), nwords.tolist(), punct)]
    stars = np.where(spam, rng.integers(1, 6, rows),
                     np.where(rng.random(rows) < 0.7, rng.integers(3, 6, rows), rng.integers(1, 6, rows)))
    price = np.where(spam & (rng.random(rows) < 0.5), rng.uniform(0.99, 9.99, rows), rng.uniform(1, 500, rows))
    price = np.round(price, 2)
    return pa.table({"id": pa.array(np.arange(rows, dtype=np.int64)), "text": pa.array(texts, pa.string()),
                     "stars": pa.array(stars.astype(np.int32)), "price": pa.array(price),
                     "gold": pa.array(spam.astype(np.int32))})


# ---- the LF set, in each system's idiom ------------------------------------------------------------

KW = [("kw_money", ["free money", "free gift", "gift card"], SPAM),
      ("kw_click", ["click here", "act now", "limited offer"], SPAM),
      ("kw_winner", ["winner", "congratulations"], SPAM),
      ("kw_praise", ["excellent", "love", "would buy again"], HAM)]
RE = [("re_url", r"https?://|www\.", SPAM),
      ("re_caps", r"\b[A-Z]{4,}\b", SPAM),
      ("re_not", r"\bnot (good|recommend|working|worth)\b", HAM)]
EXPR = "stars >= 4 && size(text) < 90"
LF_NAMES = [n for n, _, _ in KW] + [n for n, _, _ in RE] + ["num_low_stars", "num_cheap", "expr_short_happy"]


def labelflight_lfs(edit=None):
    """The LF set as LabelFlight specs (keywords: ASCII case-insensitive substrings; regex: RE2, anywhere).
    ``edit`` adds one keyword to kw_praise (the "one LF edited" case)."""
    import labelflight as lf
    out = []
    for name, kws, label in KW:
        kws = kws + [edit] if (edit and name == "kw_praise") else kws
        out.append(lf.keyword(name, kws, label=label))
    out += [lf.regex(name, pattern, label=label) for name, pattern, label in RE]
    out += [lf.numeric("num_low_stars", "stars", "<=", 1, label=SPAM),
            lf.numeric("num_cheap", "price", "<", 10.0, label=SPAM),
            lf.expr("expr_short_happy", EXPR, label=HAM)]
    return out


def snorkel_lfs():
    """The LF set as Snorkel @labeling_function's (the idiom of Snorkel's tutorials)."""
    from snorkel.labeling import labeling_function

    def keyword_lf(name, kws, label):
        @labeling_function(name=name)
        def f(x):
            t = x.text.lower()
            return label if any(k in t for k in kws) else ABSTAIN
        return f

    def regex_lf(name, pattern, label):
        rx = re.compile(pattern)

        @labeling_function(name=name)
        def f(x):
            return label if rx.search(x.text) else ABSTAIN
        return f

    @labeling_function()
    def num_low_stars(x):
        return SPAM if x.stars <= 1 else ABSTAIN

    @labeling_function()
    def num_cheap(x):
        return SPAM if x.price < 10.0 else ABSTAIN

    @labeling_function()
    def expr_short_happy(x):
        return HAM if x.stars >= 4 and len(x.text) < 90 else ABSTAIN

    return ([keyword_lf(*k) for k in KW] + [regex_lf(*r) for r in RE]
            + [num_low_stars, num_cheap, expr_short_happy])


def vectorized(batch):
    """The LF set as vectorized pyarrow.compute over a Table / RecordBatch: int8 label matrix (rows x 10).
    Hand-tuned: the text is lower-cased once for all keyword LFs."""
    import pyarrow.compute as pc
    text = batch.column("text")
    lower = pc.ascii_lower(text)
    masks, labels = [], []
    for _, kws, label in KW:
        m = pc.match_substring(lower, kws[0])
        for k in kws[1:]:
            m = pc.or_(m, pc.match_substring(lower, k))
        masks.append(m)
        labels.append(label)
    for _, pattern, label in RE:
        masks.append(pc.match_substring_regex(text, pattern))
        labels.append(label)
    stars, price = batch.column("stars"), batch.column("price")
    masks += [pc.less_equal(stars, 1), pc.less(price, 10.0),
              pc.and_(pc.greater_equal(stars, 4), pc.less(pc.utf8_length(text), 90))]
    labels += [SPAM, SPAM, HAM]
    out = np.empty((batch.num_rows, len(masks)), dtype=np.int8)
    for j, (m, label) in enumerate(zip(masks, labels)):
        out[:, j] = np.where(m.to_numpy(zero_copy_only=False), label, ABSTAIN)
    return out


# ---- measuring -------------------------------------------------------------------------------------

class PeakRss:
    """Samples the RSS sum of this process and its descendants (Dask / Ray workers) every 20 ms."""

    def __init__(self):
        import psutil
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import psutil
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
            except psutil.Error:
                procs = [self.proc]
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.02)

    def mib(self):
        self._stop.set()
        self._thread.join()
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report its
        # parent's peak (the data generator's).
        return max(vm_hwm_mib(os.getpid()), self.peak / 2**20)


def timed(fn, runs):
    """Runs fn once to warm up, then ``runs`` times; returns (seconds of each run, last result)."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def load(data, rows):
    import pyarrow.parquet as pq
    table = pq.read_table(os.path.join(data, "reviews.parquet"))
    return table.slice(0, rows) if rows < table.num_rows else table


def run_one(system, args):
    """One system in this process: prints one JSON line and saves its label matrix."""
    rss = PeakRss()
    info = {"system": system}
    if system == "snorkel-pandas":
        from snorkel.labeling import PandasLFApplier
        df = load(args.data, args.snorkel_rows).to_pandas()
        applier = PandasLFApplier(snorkel_lfs())
        times, L = timed(lambda: applier.apply(df, progress_bar=False), args.runs)
        info["rows"] = len(df)
    elif system == "snorkel-dask":
        import dask
        import dask.dataframe as dd
        from snorkel.labeling.apply.dask import DaskLFApplier
        df = load(args.data, args.dask_rows).to_pandas()
        # Dask's default string conversion makes the rows it infers metadata from hold NA in text columns,
        # which Snorkel's applier (no meta=) feeds to the LFs: keep object strings, as Snorkel expects.
        dask.config.set({"dataframe.convert-string": False})
        ddf = dd.from_pandas(df, npartitions=2)
        applier = DaskLFApplier(snorkel_lfs())
        times, L = timed(lambda: applier.apply(ddf, scheduler="processes"), args.runs)
        info["rows"] = len(df)
    elif system == "pyarrow-1thread":
        import pyarrow as pa
        pa.set_cpu_count(1)
        table = load(args.data, args.rows).combine_chunks()
        times, L = timed(lambda: vectorized(table), args.runs)
        info["rows"] = table.num_rows
    elif system == "pyarrow-threads":
        from concurrent.futures import ThreadPoolExecutor
        table = load(args.data, args.rows).combine_chunks()
        n = os.cpu_count() or 1
        step = -(-table.num_rows // n)
        slices = [table.slice(i, step) for i in range(0, table.num_rows, step)]
        pool = ThreadPoolExecutor(n)
        times, L = timed(lambda: np.concatenate(list(pool.map(vectorized, slices))), args.runs)
        info["rows"] = table.num_rows
        info["threads"] = n
    elif system == "ray-data":
        info.update(run_ray(args))
        if "error" in info:
            print(json.dumps(info), flush=True)
            return
        times, L = info.pop("times"), info.pop("L")
    else:
        raise SystemExit(f"unknown system {system}")
    info["times"] = times
    info["peak_mib"] = rss.mib()
    np.save(os.path.join(args.data, f"L-{system}.npy"), L)
    print(json.dumps(info), flush=True)


def run_ray(args):
    try:
        import ray
    except ImportError as e:
        return {"error": f"ray does not import: {e}"}
    try:
        ray.init(address="local", include_dashboard=False, num_cpus=os.cpu_count(), log_to_driver=False,
                 _node_ip_address="127.0.0.1", configure_logging=False)
    except Exception as e:  # noqa: BLE001 - any failure to start is the finding
        return {"error": f"ray.init failed: {type(e).__name__}: {e}"}
    import ray.data
    table = load(args.data, args.rows).combine_chunks()
    ray.data.DataContext.get_current().enable_progress_bars = False
    ds = ray.data.from_arrow(table).repartition(os.cpu_count() or 1).materialize()

    def batch_fn(batch):
        import pyarrow as pa
        L = vectorized(batch)
        return pa.table({"L": pa.FixedSizeListArray.from_arrays(pa.array(L.reshape(-1)), L.shape[1])})

    def apply():
        out = ds.map_batches(batch_fn, batch_format="pyarrow", batch_size=None).to_arrow_refs()
        parts = ray.get(out)
        return np.concatenate([np.asarray(p.column("L").combine_chunks().flatten()).reshape(-1, len(LF_NAMES))
                               for p in parts])
    times, L = timed(apply, args.runs)
    listening = ray_listening_addresses()
    ray.shutdown()
    return {"times": times, "L": L, "rows": table.num_rows, "ray_listen": listening}


def ray_listening_addresses():
    """The local addresses Ray's processes listen on (to check it stayed on loopback)."""
    import psutil
    me = psutil.Process()
    pids = {p.pid for p in [me] + me.children(recursive=True)}
    addrs = set()
    try:
        for c in psutil.net_connections("inet"):
            if c.status == psutil.CONN_LISTEN and c.pid in pids:
                addrs.add(c.laddr.ip)
    except psutil.Error as e:
        return [f"unknown ({e})"]
    return sorted(addrs)


# ---- LabelFlight -----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_server(args, workdir):
    jar = os.path.join(ROOT, "server", "target", "labelflight-server.jar")
    flight_port, http_port = free_port(), free_port()
    flags, budget_env = memory_contract.server_flags(memory_contract.mib(args.xmx), args.budget_mib)
    env = dict(os.environ, LABELFLIGHT_FLIGHT_PORT=str(flight_port), LABELFLIGHT_HTTP_PORT=str(http_port),
               LABELFLIGHT_DATADIR=os.path.join(workdir, "lf-data"), LABELFLIGHT_DEMO_ENABLED="false",
               # Measures the engine against its peers, which have no authentication (tests cover it).
               LABELFLIGHT_AUTH_ENABLED="false", **budget_env)
    cmd = ["java", *flags, "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dhazelcast.local.localAddress=127.0.0.1",
           "-jar", jar]
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
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
            proc.terminate()
            raise RuntimeError("server not healthy after 120 s")
        time.sleep(0.2)
    memory = memory_contract.ServerMemory.of("LabelFlight server", proc.pid, http_port)
    return proc, f"grpc://127.0.0.1:{flight_port}", " ".join(cmd), memory


def run_labelflight(args, workdir):
    import labelflight as lf
    import pyarrow.parquet as pq
    proc, location, cmd, memory = start_server(args, workdir)
    out = {"server_cmd": cmd}
    try:
        with lf.connect(location) as c:
            table = pq.read_table(os.path.join(args.data, "reviews.parquet"))
            start = time.perf_counter()
            c.upload(table, "reviews", progress=False)
            out["upload_s"] = time.perf_counter() - start
            rows = table.num_rows
            del table
            counter = iter(range(10**6))

            def fresh_labels():
                # Labels are part of each LF's cache key: new class names (same indexes) make every LF be
                # computed again, with the same work and the same class indexes.
                i = next(counter)
                return [f"HAM_{i}", f"SPAM_{i}"]

            def apply(mode, labels, lfs=None):
                return c.apply("reviews", lfs or labelflight_lfs(), labels=labels, mode=mode)

            def recorded(mode, stats):
                """An apply of all 10 LFs, none cached, recording the job's status."""
                def fn():
                    frame = apply(mode, fresh_labels())
                    stats.append(c.status(frame))
                    return frame
                return fn

            stats = []
            times, _ = timed(recorded("queue", stats), args.runs)
            out["queue"] = summarize(times, stats[1:], rows)
            stats = []
            times, L = timed(recorded("resident", stats), args.runs)
            out["resident"] = summarize(times, stats[1:], rows)
            # Re-apply with one LF edited: the other nine come from the label cache.
            labels = fresh_labels()
            apply("resident", labels)
            edits = iter(["gift", "sturdy", "quiet", "durable", "design", "bright", "comfortable", "seller",
                          "manual", "charger", "honestly", "overall"] * 10)
            stats = []

            def edited():
                frame = apply("resident", labels, labelflight_lfs(edit=next(edits)))
                stats.append(c.status(frame))
                return frame
            times, _ = timed(edited, max(args.runs, 5))
            out["edit"] = summarize(times, stats[1:], rows)
            # The matrix for the agreement check and the label models.
            mat = L.to_numpy()
            np.save(os.path.join(args.data, "L-labelflight.npy"), mat)
            # Label model on the same matrix.
            fits = []
            for seed in range(args.runs):
                start = time.perf_counter()
                model = c.fit_label_model(L, "generative", seed=seed)
                fits.append(time.perf_counter() - start)
            pred = model.predict().to_numpy()
            gold = pq.read_table(os.path.join(args.data, "reviews.parquet"), columns=["gold"]).column(0).to_numpy()
            covered = (mat != -1).any(axis=1)
            out["label_model"] = {"fit_s": fits, "accuracy": float((pred == gold).mean()),
                                  "abstain_rate": float((pred == -1).mean()),
                                  "accuracy_covered": float((pred[covered] == gold[covered]).mean()),
                                  "coverage": float(covered.mean())}
            majority = c.fit_label_model(L, "majority", tie_policy="random", seed=0).predict().to_numpy()
            out["majority_accuracy"] = float((majority == gold).mean())
        memory.measure()
        out["peak_mib"] = memory.peak_mib
        out["memory_contract"] = memory.summary()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return out


def summarize(times, stats, rows):
    return {"times": times, "rows": rows,
            "evalMillis": [s.get("evalMillis") for s in stats], "path": [s.get("path") for s in stats][-1:],
            "computedLfs": [len(s.get("computedLfs", [])) for s in stats][-1:],
            "route": [s.get("route") for s in stats][-1:]}


SNORKEL_LABEL_MODEL = """
import json, sys, time
import numpy as np, torch
from snorkel.labeling.model import LabelModel
torch.set_num_threads(int(sys.argv[3]))
L = np.load(sys.argv[1]); gold = np.load(sys.argv[2]); runs = int(sys.argv[4])
fits = []
for seed in range(runs):
    start = time.perf_counter()
    m = LabelModel(cardinality=2, verbose=False)
    m.fit(L, n_epochs=500, lr=0.01, log_freq=100, seed=seed, progress_bar=False)
    fits.append(time.perf_counter() - start)
pred = m.predict(L, tie_break_policy="abstain")
rnd = m.predict(L, tie_break_policy="random")
covered = (L != -1).any(axis=1)
print(json.dumps({"fit_s": fits, "accuracy": float((pred == gold).mean()), "abstain_rate": float((pred == -1).mean()),
                  "accuracy_random_ties": float((rnd == gold).mean()),
                  "accuracy_covered": float((pred[covered] == gold[covered]).mean())}))
"""


# ---- the whole run ---------------------------------------------------------------------------------

def main_all(args):
    workdir = tempfile.mkdtemp(prefix="lf-compare-")
    args.data = workdir
    command = "perf/compare/run.sh " + " ".join(sys.argv[2:])
    try:
        t0 = time.perf_counter()
        print(f"generating {args.rows:,} rows (seed {args.seed}) ...", file=sys.stderr, flush=True)
        import pyarrow.parquet as pq
        table = generate(args.rows, args.seed)
        pq.write_table(table, os.path.join(workdir, "reviews.parquet"))
        np.save(os.path.join(workdir, "gold.npy"), table.column("gold").to_numpy().astype(np.int64))
        mean_len = float(np.mean([len(t) for t in table.column("text").slice(0, 10000).to_pylist()]))
        del table
        load_before = os.getloadavg()
        results = {}
        for system in ["snorkel-pandas", "snorkel-dask", "pyarrow-1thread", "pyarrow-threads", "ray-data"]:
            print(f"running {system} ...", file=sys.stderr, flush=True)
            argv = [sys.executable, __file__, "one", system, "--data", workdir, "--rows", str(args.rows),
                    "--runs", str(args.runs), "--snorkel-rows", str(args.snorkel_rows),
                    "--dask-rows", str(args.dask_rows)]
            if system == "ray-data":
                # Ray's servers bind every interface (gcs, raylet, workers on "::"), whatever the node IP: run
                # it in a network namespace of its own that has only loopback, so it cannot be reached.
                argv = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$0" "$@"'] + argv
            p = subprocess.run(argv, capture_output=True, text=True)
            lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
            if p.returncode != 0 or not lines:
                results[system] = {"error": f"exit {p.returncode}: {p.stderr.strip().splitlines()[-3:]}"}
            else:
                results[system] = json.loads(lines[-1])
            print(f"  {results[system]}", file=sys.stderr, flush=True)
        print("running LabelFlight ...", file=sys.stderr, flush=True)
        lfr = run_labelflight(args, workdir)
        print(f"  {lfr}", file=sys.stderr, flush=True)
        print("running Snorkel LabelModel ...", file=sys.stderr, flush=True)
        snorkel_python = subprocess.run([os.path.join(ROOT, "engine", "conformance", "setup-snorkel-venv.sh")],
                                        check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        p = subprocess.run([snorkel_python, "-c", SNORKEL_LABEL_MODEL, os.path.join(workdir, "L-labelflight.npy"),
                            os.path.join(workdir, "gold.npy"), str(os.cpu_count() or 1), str(args.runs)],
                           capture_output=True, text=True)
        snorkel_lm = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {
            "error": p.stderr.strip().splitlines()[-3:]}
        load_after = os.getloadavg()
        agreement = check_agreement(workdir, results)
        report = render(args, command, results, lfr, snorkel_lm, agreement, load_before, load_after,
                        time.perf_counter() - t0, mean_len)
        print(report)
        if args.write:
            write_results(report)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def check_agreement(workdir, results):
    ours = np.load(os.path.join(workdir, "L-labelflight.npy"))
    out = {}
    for system, r in results.items():
        path = os.path.join(workdir, f"L-{system}.npy")
        if "error" in r or not os.path.exists(path):
            continue
        theirs = np.load(path)
        n = theirs.shape[0]
        diff = theirs != ours[:n]
        per_lf = {LF_NAMES[j]: int(diff[:, j].sum()) for j in range(diff.shape[1]) if diff[:, j].any()}
        out[system] = {"rows": n, "mismatches": int(diff.sum()), "per_lf": per_lf}
    return out


def med(xs):
    return statistics.median(xs)


def render(args, command, results, lfr, snorkel_lm, agreement, load_before, load_after, total_s, mean_len):
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    resident_rps = lfr["resident"]["rows"] / med(lfr["resident"]["times"])
    rows_out = []
    names = {"snorkel-pandas": "Snorkel PandasLFApplier (@labeling_function)",
             "snorkel-dask": "Snorkel DaskLFApplier (2 partitions, processes)",
             "pyarrow-1thread": "pyarrow.compute vectorized, 1 thread",
             "pyarrow-threads": "pyarrow.compute vectorized, threads over row slices",
             "ray-data": "Ray Data map_batches (same vectorized function)"}
    lines = []
    for system, r in results.items():
        if "error" in r:
            lines.append(f"| {names[system]} | n/a | n/a | n/a | n/a | did not run: {r['error']} |")
            continue
        t = med(r["times"])
        rps = r["rows"] / t
        rows_out.append((system, rps))
        note = ""
        if system == "ray-data":
            note = (f"own network namespace with only loopback (`unshare -rn`); Ray listened on "
                    f"{', '.join(r.get('ray_listen', []))}; peak includes Ray's own processes")
        if system == "pyarrow-threads":
            note = f"{r['threads']} threads"
        lines.append(f"| {names[system]} | {r['rows']:,} | {t * 1000:,.0f} | {rps:,.0f} | {rps / resident_rps:.4f} "
                     f"| {r['peak_mib']:,.0f} | {note} |")
    for key, label in [("queue", "LabelFlight cold apply (mode queue, no cached LFs)"),
                       ("resident", "LabelFlight resident (mode resident, no cached LFs)"),
                       ("edit", "LabelFlight re-apply, one LF edited (9 cached)")]:
        r = lfr[key]
        t = med(r["times"])
        rps = r["rows"] / t
        ev = [e for e in r["evalMillis"] if e is not None]
        note = (f"server evalMillis median {med(ev):,.0f} ms; computed LFs {r['computedLfs'][0]}; path "
                f"{r['path'][0]}") if ev else ""
        lines.append(f"| {label} | {r['rows']:,} | {t * 1000:,.0f} | {rps:,.0f} | {rps / resident_rps:.4f} "
                     f"| {lfr['peak_mib']:,.0f} (JVM VmHWM, whole run) | {note} |")
    table = ["| system | rows | median ms (label matrix in the client) | rows/s | ratio to LabelFlight resident "
             "| peak RSS MiB | notes |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"] + lines

    rps = dict(rows_out)
    goals = []
    if "snorkel-pandas" in rps:
        x = resident_rps / rps["snorkel-pandas"]
        goals.append(f"- LabelFlight resident >= 100x Snorkel PandasLFApplier: **{x:,.0f}x**, "
                     f"{'met' if x >= 100 else 'NOT met'}.")
    best_pa = max([rps.get("pyarrow-1thread", 0), rps.get("pyarrow-threads", 0)])
    if best_pa:
        x = resident_rps / best_pa
        goals.append(f"- LabelFlight resident >= 1.5x the vectorized pyarrow baseline (its faster variant): "
                     f"**{x:.2f}x**, {'met' if x >= 1.5 else 'NOT met'}.")
    edit_ms = med(lfr["edit"]["times"]) * 1000
    goals.append(f"- Re-apply after editing one LF <= 100 ms p50 at {lfr['edit']['rows']:,} rows: **{edit_ms:,.0f} ms**, "
                 f"{'met' if edit_ms <= 100 else 'NOT met'}.")
    lm = lfr["label_model"]
    lm_lines = [f"Label models on LabelFlight's {lfr['resident']['rows']:,} x {len(LF_NAMES)} matrix ({lm['coverage']:.1%} of "
                "rows have a vote); accuracy counts abstained rows as wrong; `accuracy on covered rows` only counts "
                "rows with at least one vote.", "",
                "| label model | fit median ms | accuracy vs gold | abstained rows | accuracy on covered rows |",
                "| --- | ---: | ---: | ---: | ---: |",
                f"| LabelFlight generative (fit_label_model via the client, default epochs) | "
                f"{med(lm['fit_s']) * 1000:,.0f} | {lm['accuracy']:.4f} | {lm['abstain_rate']:.4f} | "
                f"{lm['accuracy_covered']:.4f} |"]
    if "error" in snorkel_lm:
        lm_lines.append(f"| Snorkel LabelModel | n/a | n/a | failed: {snorkel_lm['error']} |")
    else:
        lm_lines.append(f"| Snorkel LabelModel (500 epochs, lr 0.01, torch CPU {os.cpu_count()} threads; ties abstain) | "
                        f"{med(snorkel_lm['fit_s']) * 1000:,.0f} | {snorkel_lm['accuracy']:.4f} | "
                        f"{snorkel_lm['abstain_rate']:.4f} | {snorkel_lm['accuracy_covered']:.4f} |")
        lm_lines.append(f"| Snorkel LabelModel, same fit, ties broken at random | | "
                        f"{snorkel_lm['accuracy_random_ties']:.4f} | 0 | |")
        faster = med(lm["fit_s"]) < med(snorkel_lm["fit_s"])
        at_least = lm["accuracy"] >= snorkel_lm["accuracy"] - 1e-9
        goals.append(f"- Label-model fit faster than Snorkel's at equal or better accuracy: "
                     f"{'met' if faster and at_least else 'NOT met'} "
                     f"({med(lm['fit_s']) * 1000:,.0f} vs {med(snorkel_lm['fit_s']) * 1000:,.0f} ms, accuracy "
                     f"{lm['accuracy']:.4f} vs {snorkel_lm['accuracy']:.4f}).")
    lm_lines.append(f"| majority vote (LabelFlight, random ties) | | {lfr['majority_accuracy']:.4f} | | |")
    agree = []
    for system, a in agreement.items():
        agree.append(f"- {system}: {a['rows']:,} rows x {len(LF_NAMES)} LFs, "
                     + ("identical to LabelFlight's matrix." if a["mismatches"] == 0 else
                        f"**{a['mismatches']} mismatching cells** {a['per_lf']}."))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"Run {now} on {platform.node() or 'this machine'}: `nproc` {os.cpu_count()}, {mem:.1f} GiB memory, "
        f"load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} before and "
        f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} after (shared machine). Command: "
        f"`{command.strip()}` (took {total_s / 60:.1f} min). Data: {args.rows:,} rows, seed {args.seed}, "
        f"text {mean_len:.0f} chars on average; {args.runs} timed runs after one warm-up, medians. Server: "
        f"`{lfr['server_cmd'].split(' -jar')[0]}`, budget {args.budget_mib} MiB; upload took "
        f"{lfr['upload_s']:.1f} s (not counted). Versions: {versions()}. Memory: {lfr['memory_contract']}.",
        "",
        *table,
        "",
        "Goals:",
        *goals,
        "",
        *lm_lines,
        "",
        "Agreement (each system's label matrix against LabelFlight's on the same rows):",
        *agree,
    ])


def versions():
    from importlib.metadata import PackageNotFoundError, version
    out = []
    for name in ["snorkel", "pandas", "dask", "pyarrow", "ray"]:
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} missing")
    return ", ".join(out)


def write_results(report):
    path = os.path.join(ROOT, "perf", "RESULTS.md")
    with open(path) as f:
        text = f.read()
    header = "## Side by side (issue 8)"
    marker = "<!-- perf/compare/run.sh writes below this line -->"
    if header not in text:
        text = text.rstrip("\n") + f"\n\n{header}\n\n{marker}\n"
    head, _, _ = text.partition(marker)
    # The generated part runs to the end of the section (the next "## " heading or the end of the file).
    rest = text[len(head) + len(marker):]
    nxt = re.search(r"^## ", rest, flags=re.M)
    tail = rest[nxt.start():] if nxt else ""
    with open(path, "w") as f:
        f.write(head + marker + "\n\n" + report + "\n\n" + tail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["all", "one"])
    ap.add_argument("system", nargs="?")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--snorkel-rows", type=int, default=50_000)
    ap.add_argument("--dask-rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--data")
    ap.add_argument("--xmx", default="2g")
    ap.add_argument("--budget-mib", type=int, default=1536)
    ap.add_argument("--write", action="store_true", help="write the section into perf/RESULTS.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    args.snorkel_rows = min(args.snorkel_rows, args.rows)
    args.dask_rows = min(args.dask_rows, args.rows)
    if args.mode == "one":
        run_one(args.system, args)
    else:
        main_all(args)


if __name__ == "__main__":
    main()
