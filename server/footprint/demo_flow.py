"""The demo flow against a running server: upload a generated dataset, apply LFs on the task queue,
LF analysis and a label model; checks every answer. Usage: demo_flow.py FLIGHT_PORT ROWS
(the user's token in LABELFLIGHT_TOKEN)."""

import os
import sys

import numpy as np
import pandas as pd

import labelflight as lf

port, rows = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(7)
words = np.array(["great", "works", "broken", "refund", "winner", "fine", "cheap", "love", "slow", "fast"])
spam = rng.random(rows) < 0.3
text = [" ".join(rng.choice(words, 8)) + (" free money click here" if s else "") for s in spam]
df = pd.DataFrame({"text": text, "stars": rng.integers(1, 6, rows), "gold": spam.astype(np.int64)})

with lf.connect(f"grpc://127.0.0.1:{port}", token=os.environ.get("LABELFLIGHT_TOKEN")) as c:
    assert c.upload(df, "footprint", progress=False) == 1
    lfs = [lf.keyword("kw_spam", ["free money", "click here"], label="SPAM"),
           lf.regex("re_refund", "refund|broken", label="HAM"),
           lf.numeric("low_stars", "stars", "<", 2, label="SPAM")]
    job = c.apply("footprint", lfs, labels=["HAM", "SPAM"], mode="queue", wait=False)
    L = job.to_pandas()
    status = job.wait(timeout=300)
    assert status["state"] == "SUCCEEDED" and status["path"] == "queue", status
    assert L.shape == (rows, 3), L.shape
    assert (L["kw_spam"].to_numpy() == 1).tolist() == spam.tolist(), "keyword LF labels"
    summary = c.analysis(job, gold="gold")
    assert summary.loc["kw_spam", "Emp. Acc."] == 1.0, summary
    model = c.fit_label_model(job, "majority")
    probs = c.predict_proba(model, job)
    assert len(probs) == rows, len(probs)
    coverage = summary.attrs["totals"]["coverage"]
    assert coverage >= spam.mean(), summary.attrs
    print(f"demo flow ok: {rows} rows, {status['chunksTotal']} chunks on the {status['path']} path, "
          f"label coverage {coverage:.3f}")
