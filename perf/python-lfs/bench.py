"""Python-function LFs (issue 20), side by side in one run: Snorkel's PandasLFApplier (one process) and
LabelFlight's Python worker pool on the same LFs (lfs.py, Snorkel spam-tutorial styles) over the same generated
corpus, L compared; throughput with N workers vs N x Snorkel; batch vs row LFs on the same logic; re-apply after
editing one LF; PSS of the pool with a large shared preprocessor; peak server + worker RSS against the budget.

Run from the repository root: perf/python-lfs/run.sh [--rows N] [--big-mib M] [--workers N]
Prints one Markdown section (paste into perf/RESULTS.md).
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import lfs  # noqa: E402

import labelflight as lf  # noqa: E402
from snorkel.labeling import PandasLFApplier, labeling_function  # noqa: E402

TOKEN = "bench-token-0123456789abcdef"


def corpus(rows, seed=7):
    """YouTube-comment-like text: ham (short praise, song talk) and spam (self-promotion, links, pleas)."""
    rng = np.random.default_rng(seed)
    ham = ["great song", "love this video so much", "this song is amazing and the video is beautiful",
           "who is still listening in 2026", "nice voice", "best song ever, I love it", "so good",
           "this reminds me of my childhood, such a wonderful melody", "awesome", "the beat is fire"]
    spam = ["check out my channel please", "subscribe to my channel for free gifts", "please like and subscribe",
            "visit http://spam.example.com for a prize", "Check out this video: https://youtu.be/x",
            "plz subscribe to my music", "my new song is out, check it out", "earn money at home http://x.example"]
    out = []
    for i in range(rows):
        pool = spam if rng.random() < 0.45 else ham
        s = pool[rng.integers(len(pool))]
        if rng.random() < 0.5:
            s += " " + " ".join(rng.choice(["really", "wow", "LOL", "haha", "omg", "the", "video"], rng.integers(1, 6)))
        out.append(s)
    return pd.DataFrame({"text": out})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid, field="VmRSS"):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        stack += kids
    return out


class Server:
    def __init__(self, workers, budget_mib, xmx_mib, venv):
        self.data = tempfile.mkdtemp(prefix="lf-pybench-")
        self.flight, self.http = free_port(), free_port()
        env = dict(os.environ, LABELFLIGHT_AUTH_DEVUSER_ENABLED="true", LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN,
                   LABELFLIGHT_FLIGHT_PORT=str(self.flight), LABELFLIGHT_HTTP_PORT=str(self.http),
                   LABELFLIGHT_DATADIR=self.data, LABELFLIGHT_DEMO_ENABLED="false",
                   LABELFLIGHT_MEMORY_BUDGETMIB=str(budget_mib), LABELFLIGHT_PYTHON_ENABLED="true",
                   LABELFLIGHT_PYTHON_USERS="dev", LABELFLIGHT_PYTHON_VENV=venv,
                   LABELFLIGHT_PYTHON_MAXWORKERS=str(workers), LABELFLIGHT_PYTHON_WORKERLIMITMIB="2048",
                   LABELFLIGHT_PYTHON_RECYCLEMIB="2048", LABELFLIGHT_STORE_CHUNKROWS="8192")
        self.log = open(Path(self.data) / "server.log", "w")
        self.proc = subprocess.Popen(["java", f"-Xmx{xmx_mib}m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                                      "-Dhazelcast.local.localAddress=127.0.0.1", "-jar",
                                      str(ROOT / "server/target/labelflight-server.jar")],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start: " + (Path(self.data) / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        self.peak_total_kib = 0
        self.peak_pool_pss_kib = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self._stop.is_set():
            kids = descendants(self.proc.pid)
            total = rss_kib(self.proc.pid) + sum(pss_kib(k) for k in kids)
            self.peak_total_kib = max(self.peak_total_kib, total)
            time.sleep(0.2)

    def pool_pss(self):
        kids = [k for k in descendants(self.proc.pid) if b"labelflight_worker" in Path(f"/proc/{k}/cmdline").read_bytes()
                or self._is_forked_worker(k)]
        return sum(pss_kib(k) for k in kids), len(kids)

    @staticmethod
    def _is_forked_worker(pid):
        try:
            return b"labelflight_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    def close(self):
        self._stop.set()
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def timed(f, runs=1):
    best, out = None, None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=40_000)
    ap.add_argument("--snorkel-rows", type=int, default=0, help="rows for Snorkel (default: all)")
    ap.add_argument("--big-mib", type=int, default=500)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--budget-mib", type=int, default=3072)
    ap.add_argument("--xmx-mib", type=int, default=512)
    ap.add_argument("--venv", required=True)
    a = ap.parse_args()
    n = a.workers
    df = corpus(a.rows)
    labels = ["HAM", "SPAM"]
    lines = [f"### Python-function LFs (issue 20): {a.rows:,} rows, {n} workers, {os.cpu_count()} cores",
             "", f"Command: `perf/python-lfs/run.sh --rows {a.rows} --workers {n} --big-mib {a.big_mib}`", ""]

    # Snorkel, one process, the same LF file.
    t_snorkel, L_snorkel = timed(lambda: PandasLFApplier(lfs.TUTORIAL).apply(df, progress_bar=False))
    t_snorkel_kw, _ = timed(lambda: PandasLFApplier(lfs.NO_TEXTBLOB).apply(df, progress_bar=False))

    srv = Server(n, a.budget_mib, a.xmx_mib, a.venv)
    try:
        c = lf.connect(f"grpc://127.0.0.1:{srv.flight}", token=TOKEN)
        c.upload(df, "comments")
        # First apply: templates start and load; second (cache cleared by renaming the job's classes) is warm.
        t_cold, L = timed(lambda: c.apply("comments", lfs.TUTORIAL, labels=labels, mode="queue"))
        same = np.array_equal(L.to_numpy(), L_snorkel)
        t_warm, _ = timed(lambda: c.apply("comments", lfs.TUTORIAL, labels=["ham", "spam"], mode="queue"))
        t_kw, _ = timed(lambda: c.apply("comments", lfs.NO_TEXTBLOB, labels=["h", "s"], mode="queue"))

        # Re-apply after editing one LF: only that LF is computed, the others come from the label cache.
        @labeling_function(name="short_comment")
        def short_comment_edited(x):
            return lfs.HAM if len(x.text.split()) < 4 else lfs.ABSTAIN
        edited = lfs.TUTORIAL[:6] + [short_comment_edited] + lfs.TUTORIAL[7:]
        t_edit, _ = timed(lambda: c.apply("comments", edited, labels=["ham", "spam"], mode="queue"))

        # Batch vs row LFs on the same logic (fresh class names so nothing is cached).
        t_row, L_row = timed(lambda: c.apply("comments", [lfs.row_link, lfs.row_short], labels=["a", "b"]))
        t_batch, L_batch = timed(lambda: c.apply("comments", [lf.batch_lf(lfs.batch_link, name="row_link"),
                                                              lf.batch_lf(lfs.batch_short, name="row_short")],
                                                 labels=["c", "d"]))
        same_batch = np.array_equal(L_row.to_numpy(), L_batch.to_numpy())

        # A preprocessor holding a large model: loaded once in the template, shared by the forked workers.
        big = lfs.big_model_lf(a.big_mib)
        peak = [0, 0]
        done = threading.Event()

        def watch_pss():
            while not done.is_set():
                p, k = srv.pool_pss()
                if p > peak[0]:
                    peak[:] = [p, k]
                time.sleep(0.1)
        w = threading.Thread(target=watch_pss, daemon=True)
        w.start()
        bigdf = pd.concat([df] * max(1, (n * 4 * 8192) // len(df) + 1), ignore_index=True)
        c.upload(bigdf, "comments_big")
        t_big, _ = timed(lambda: c.apply("comments_big", [big, lfs.keyword_song], labels=labels, mode="queue"))
        done.set()
        w.join()
        c.close()
    finally:
        srv.close()

    rows = a.rows
    speed = lambda t: f"{rows / t:,.0f} rows/s"  # noqa: E731
    lines += [
        "| run | time | throughput |", "| --- | --- | --- |",
        f"| Snorkel PandasLFApplier, 9 tutorial LFs (TextBlob included), 1 process | {t_snorkel:.2f} s | {speed(t_snorkel)} |",
        f"| LabelFlight, same LF file, {n} workers, cold (templates start) | {t_cold:.2f} s | {speed(t_cold)} |",
        f"| LabelFlight, same LFs, warm workers | {t_warm:.2f} s | {speed(t_warm)} |",
        f"| Snorkel, 7 LFs without TextBlob | {t_snorkel_kw:.2f} s | {speed(t_snorkel_kw)} |",
        f"| LabelFlight, 7 LFs without TextBlob, warm | {t_kw:.2f} s | {speed(t_kw)} |",
        f"| LabelFlight, re-apply after editing one LF | {t_edit:.2f} s | |",
        f"| LabelFlight, 2 row LFs | {t_row:.2f} s | {speed(t_row)} |",
        f"| LabelFlight, the same 2 as batch LFs | {t_batch:.2f} s | {speed(t_batch)} |",
        "",
        f"- L identical to Snorkel's: **{same}**; batch L identical to row L: **{same_batch}**.",
        f"- Throughput vs N x Snorkel (goal >= 0.8): TextBlob set {t_snorkel / t_warm / n:.2f}, "
        f"keyword/regex set {t_snorkel_kw / t_kw / n:.2f} (N = {n}).",
        f"- Batch vs row LFs on the same logic: {t_row / t_batch:.1f}x (goal >= 10x).",
        f"- Large shared preprocessor ({a.big_mib} MiB of weights): peak PSS of template + workers "
        f"{peak[0] / 1024:.0f} MiB over {peak[1]} processes = {peak[0] / 1024 / a.big_mib:.2f}x the model "
        f"(goal < 1.3x with 4 workers); apply took {t_big:.1f} s.",
        f"- Peak server RSS + Python PSS: {srv.peak_total_kib / 1024:.0f} MiB; Xmx {a.xmx_mib} + budget "
        f"{a.budget_mib} + 256 = {a.xmx_mib + a.budget_mib + 256} MiB.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
