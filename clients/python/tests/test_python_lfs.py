"""Python-function LFs end to end through a real server with Python workers (issue 20): Snorkel LFs, plain and
batch functions mixed with template kinds in one job, L identical to Snorkel's PandasLFApplier; the label cache
recomputes only an edited LF; bad functions fail alone with the LF and row named; users without opt-in are
refused; no worker process outlives the server."""

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import labelflight as lf

from conftest import OTHER_TOKEN, ROOT, TOKEN, run_server

snorkel_labeling = pytest.importorskip("snorkel.labeling")
from snorkel.labeling import PandasLFApplier, labeling_function  # noqa: E402
from snorkel.preprocess import preprocessor  # noqa: E402

pytestmark = pytest.mark.server

ABSTAIN, HAM, SPAM = -1, 0, 1
SPAMMY = {"free", "winner", "click", "subscribe"}


@labeling_function()
def lf_keywords(x):
    return SPAM if any(w in x.text.lower().split() for w in SPAMMY) else ABSTAIN


@labeling_function()
def lf_regex_check_out(x):
    return SPAM if re.search(r"check.*out", x.text, flags=re.I) else ABSTAIN


@labeling_function()
def lf_short_comment(x):
    return HAM if len(x.text.split()) < 5 else ABSTAIN


@preprocessor(memoize=True)
def lengths(x):
    x.n_words = len(x.text.split())
    x.n_caps = sum(1 for c in x.text if c.isupper())
    return x


@labeling_function(pre=[lengths], resources={"ratio": 0.3})
def lf_shouting(x, ratio):
    return SPAM if x.n_caps > ratio * max(1, len(x.text)) else ABSTAIN


def lf_plain_stars(x):
    return HAM if x.stars >= 4 else ABSTAIN


@lf.batch_lf
def lf_batch_links(df):
    return np.where(df.text.str.contains("http"), SPAM, ABSTAIN)


def corpus(n=3000, seed=20):
    rng = np.random.default_rng(seed)
    ham = ["great song", "love this video so much", "nice", "this is my favourite band ever and always will be",
           "who is watching in 2026", "beautiful voice"]
    spam = ["check out my channel", "FREE gift cards click here", "subscribe to me http://spam.example",
            "winner winner claim your prize at http://x.example", "CHECK THIS OUT NOW"]
    rows = []
    for i in range(n):
        pool = spam if rng.random() < 0.4 else ham
        rows.append(pool[rng.integers(len(pool))] + ("" if rng.random() < 0.5 else f" #{i}"))
    return pd.DataFrame({"text": rows, "stars": rng.integers(1, 6, n).astype("int64")})


@pytest.fixture(scope="module")
def workers_python():
    out = subprocess.run(["bash", str(ROOT / "python-workers" / "setup-python-env.sh")], check=True,
                         capture_output=True, text=True, timeout=1800)
    return Path(out.stdout.strip())


@pytest.fixture(scope="module")
def py_server(tmp_path_factory, workers_python):
    with run_server(tmp_path_factory, LABELFLIGHT_PYTHON_ENABLED="true", LABELFLIGHT_PYTHON_USERS="dev",
                    LABELFLIGHT_PYTHON_VENV=str(workers_python.parent.parent),
                    LABELFLIGHT_PYTHON_TASKTIMEOUTMS="20000", LABELFLIGHT_MEMORY_BUDGETMIB="1024") as srv:
        seen = set()
        stop = threading.Event()

        def watch():  # every Python worker process the server starts
            while not stop.is_set():
                seen.update(_python_workers())
                time.sleep(0.05)
        t = threading.Thread(target=watch, daemon=True)
        t.start()
        srv.python_pids = seen
        yield srv
        stop.set()
        t.join()
    # The server is stopped: none of its Python processes may survive it.
    deadline = time.monotonic() + 10
    while seen & _python_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen, "the server never started a Python worker"
    assert not (seen & _python_workers()), f"orphan Python workers: {seen & _python_workers()}"


def _python_workers():
    pids = set()
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if b"labelflight_worker.template" in (p / "cmdline").read_bytes():
                    pids.add(int(p.name))
                    pids.update(int(c) for c in (p / "task" / p.name / "children").read_text().split())
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def c(py_server):
    with lf.connect(py_server.location, token=TOKEN) as client:
        yield client


@pytest.fixture(scope="module")
def mails(c):
    df = corpus()
    c.upload(df, "mails")
    return df


def test_snorkel_lfs_run_unchanged_and_match_snorkel(c, mails):
    lfs = [lf_keywords, lf_regex_check_out, lf_short_comment, lf_shouting, lf_plain_stars, lf_batch_links]
    L = c.apply("mails", lfs + [lf.keyword("kw_prize", ["prize"], label="SPAM")], labels=["HAM", "SPAM"])
    snorkel_lfs = [lf_keywords, lf_regex_check_out, lf_short_comment, lf_shouting,
                   labeling_function(name="lf_plain_stars")(lf_plain_stars)]
    expected = PandasLFApplier(snorkel_lfs).apply(mails, progress_bar=False)
    got = L.to_numpy()
    assert list(L.columns) == [f.name for f in snorkel_lfs] + ["lf_batch_links", "kw_prize"]
    np.testing.assert_array_equal(got[:, :5], expected)
    np.testing.assert_array_equal(got[:, 5], np.where(mails.text.str.contains("http"), SPAM, ABSTAIN))
    assert (got[:, 6] == np.where(mails.text.str.lower().str.contains("prize"), SPAM, ABSTAIN)).all()


def test_reapply_after_editing_one_lf_computes_only_that_lf(c, mails):
    def lf_edit(x):
        return SPAM if "free" in x.text.lower() else ABSTAIN
    first = c.apply("mails", [lf_keywords, lf_edit], labels=["HAM", "SPAM"], wait=False)
    first.to_pandas()

    def lf_edit(x):  # noqa: F811 - the user edits the function and applies again
        return SPAM if "gift" in x.text.lower() else ABSTAIN
    job = c.apply("mails", [lf_keywords, lf_edit], labels=["HAM", "SPAM"], wait=False)
    L = job.to_pandas()
    status = c._action("job_status", {"job": job.id})
    assert status["computedLfs"] == ["lf_edit"], status
    np.testing.assert_array_equal(L["lf_edit"].to_numpy(), np.where(mails.text.str.lower().str.contains("gift"), SPAM, ABSTAIN))


def test_raising_lf_names_lf_and_row_and_node_keeps_serving(c, mails):
    def boom(x):
        if x.stars == 3:
            raise KeyError("no such thing")
        return ABSTAIN
    with pytest.raises(lf.LabelFlightError) as e:
        c.apply("mails", [boom], labels=["HAM", "SPAM"])
    assert "LF 'boom' raised KeyError" in str(e.value) and "on row " in str(e.value)
    L = c.apply("mails", [lf_short_comment], labels=["HAM", "SPAM"])
    assert len(L) == len(mails)


def test_fault_tolerant_counts_faults_like_snorkel(c, mails):
    def sometimes(x):
        if x.stars == 1:
            raise ValueError("one star")
        return HAM
    L = c.apply("mails", [sometimes], labels=["HAM", "SPAM"], fault_tolerant=True)
    assert L.attrs["faults"] == {"sometimes": int((mails.stars == 1).sum())}
    np.testing.assert_array_equal(L["sometimes"].to_numpy(), np.where(mails.stars == 1, ABSTAIN, HAM))


def test_bad_return_value_is_named(c, mails):
    def says_spam(x):
        return "SPAM"
    with pytest.raises(lf.LabelFlightError, match=r"LF 'says_spam' returned 'SPAM' \(str\) on row \d+"):
        c.apply("mails", [says_spam], labels=["HAM", "SPAM"])


def test_function_that_does_not_pickle_fails_before_sending(c, mails):
    lock = threading.Lock()

    def holds_lock(x):
        with lock:
            return ABSTAIN
    with pytest.raises(TypeError, match="LF 'holds_lock' cannot be sent to the server"):
        c.apply("mails", [holds_lock], labels=["HAM", "SPAM"])


def test_user_without_opt_in_is_refused(py_server):
    with lf.connect(py_server.location, token=OTHER_TOKEN) as bob:
        bob.upload(corpus(50), "bobs")
        with pytest.raises(lf.LabelFlightError, match="Python LFs are not enabled for user 'bob'"):
            bob.apply("bobs", [lf_short_comment], labels=["HAM", "SPAM"])
