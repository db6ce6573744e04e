"""Checks LabelFlight's LF analysis and label models against Snorkel itself.

  python snorkel_conformance.py generate DIR   writes seeded label matrices (and gold) into DIR
  python snorkel_conformance.py check DIR      runs Snorkel on them and compares with DIR/*.out.json,
                                               which the Java side (SnorkelConformanceTest) wrote

Files per case: NAME.json (n, m, k, gold, kind), NAME.L.bin (int8, column after column), NAME.Y.bin (int8).
"""
import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

GEN_SEEDS = [0, 1, 2, 3, 4]


def analysis_cases():
    rng = np.random.default_rng(20240611)
    cases = []
    i = 0
    for n in (1, 7, 250, 3001):
        for k in (2, 3, 4, 5):
            for with_gold in (False, True):
                m = int(rng.integers(1, 11))
                L = np.full((n, m), -1, dtype=np.int8)
                for j in range(m):
                    style = j % 4
                    cov = rng.uniform(0.05, 0.9)
                    votes = rng.random(n) < cov
                    if style == 0:  # one-sided LF
                        L[votes, j] = rng.integers(0, k)
                    elif style == 1:  # any class
                        L[votes, j] = rng.integers(0, k, size=votes.sum())
                    elif style == 2 and j == 2:  # never abstains (exercises lf_summary's confusion-matrix slice)
                        L[:, j] = rng.integers(0, k, size=n)
                    else:
                        L[votes, j] = rng.integers(0, min(2, k), size=votes.sum())
                if m > 3:
                    L[:, m - 1] = -1  # an LF that never votes
                if n > 5:
                    L[rng.random(n) < 0.1, :] = -1  # rows nobody labels
                Y = None
                if with_gold:
                    Y = rng.integers(0, k, size=n).astype(np.int8)
                    if i % 3 == 0 and n > 5:
                        Y[rng.random(n) < 0.05] = -1  # unknown gold
                cases.append((f"analysis-{i:03d}", "analysis", k, L, Y))
                i += 1
    # A tiny hand-checkable one: Snorkel's docstring matrix.
    L = np.array([[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]], dtype=np.int8)
    cases.append(("analysis-doc", "analysis", 2, L, np.array([0, 1, 1, 0, 0], dtype=np.int8)))
    # No LF abstains anywhere and gold has no -1: lf_summary drops class 0 from Correct/Incorrect.
    L = np.array([[0, 1], [1, 1], [0, 0], [1, 0]], dtype=np.int8)
    cases.append(("analysis-noabstain", "analysis", 2, L, np.array([0, 1, 1, 1], dtype=np.int8)))
    return cases


def synthetic(seed, n, m, k):
    """Rows with a uniform true class; LF j votes with its propensity, right with its accuracy, else a
    uniformly chosen wrong class."""
    rng = np.random.default_rng(1000 + seed)
    Y = rng.integers(0, k, size=n)
    acc = rng.uniform(0.55, 0.92, size=m)
    prop = rng.uniform(0.15, 0.6, size=m)
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        votes = rng.random(n) < prop[j]
        right = rng.random(n) < acc[j]
        wrong = (Y + rng.integers(1, k, size=n)) % k
        L[votes, j] = np.where(right, Y, wrong)[votes]
    return L, Y.astype(np.int8)


def generative_cases():
    cases = []
    for seed in GEN_SEEDS:
        for k in (2, 3):
            L, Y = synthetic(seed, 4000, 10, k)
            cases.append((f"generative-s{seed}-k{k}", "generative", k, L, Y))
    return cases


def generate(d):
    os.makedirs(d, exist_ok=True)
    for name, kind, k, L, Y in analysis_cases() + generative_cases():
        n, m = L.shape
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump({"name": name, "kind": kind, "n": n, "m": m, "k": k, "gold": Y is not None}, f)
        np.ascontiguousarray(L.T).astype(np.int8).tofile(os.path.join(d, name + ".L.bin"))
        if Y is not None:
            Y.astype(np.int8).tofile(os.path.join(d, name + ".Y.bin"))


def load(d, name):
    with open(os.path.join(d, name + ".json")) as f:
        meta = json.load(f)
    n, m = meta["n"], meta["m"]
    L = np.fromfile(os.path.join(d, name + ".L.bin"), dtype=np.int8).reshape(m, n).T.astype(np.int64)
    Y = np.fromfile(os.path.join(d, name + ".Y.bin"), dtype=np.int8).astype(np.int64) if meta["gold"] else None
    with open(os.path.join(d, name + ".out.json")) as f:
        ours = json.load(f)
    return meta, L, Y, ours


def check_analysis(name, meta, L, Y, ours, failures):
    from snorkel.labeling import LFAnalysis
    from snorkel.labeling.model import MajorityLabelVoter

    k = meta["k"]
    a = LFAnalysis(L)
    summary = a.lf_summary(Y) if Y is not None else a.lf_summary()
    lfs = ours["analysis"]["lfs"]

    def same(what, theirs, mine):
        if isinstance(theirs, float) or isinstance(mine, float):
            ok = theirs == mine or abs(theirs - mine) <= 1e-12
        else:
            ok = theirs == mine
        if not ok:
            failures.append(f"{name}: {what}: snorkel {theirs!r} ours {mine!r}")

    same("rows", L.shape[0], ours["analysis"]["rows"])
    for j in range(L.shape[1]):
        row = summary.iloc[j]
        same(f"lf {j} polarity", [int(x) for x in row["Polarity"]], lfs[j]["polarity"])
        same(f"lf {j} coverage", float(row["Coverage"]), lfs[j]["coverage"])
        same(f"lf {j} overlaps", float(row["Overlaps"]), lfs[j]["overlaps"])
        same(f"lf {j} conflicts", float(row["Conflicts"]), lfs[j]["conflicts"])
        if Y is not None:
            same(f"lf {j} correct", int(row["Correct"]), lfs[j]["correct"])
            same(f"lf {j} incorrect", int(row["Incorrect"]), lfs[j]["incorrect"])
            same(f"lf {j} emp_acc", float(row["Emp. Acc."]), lfs[j]["emp_acc"])
        elif "correct" in lfs[j]:
            failures.append(f"{name}: lf {j} has gold numbers without gold")
    totals = ours["analysis"]["totals"]
    same("label coverage", float(a.label_coverage()), totals["coverage"])
    same("label overlap", float(a.label_overlap()), totals["overlap"])
    same("label conflict", float(a.label_conflict()), totals["conflict"])

    mv = MajorityLabelVoter(cardinality=k)
    probs = mv.predict_proba(L)
    if not np.array_equal(probs, np.array(ours["mv_probs"])):
        failures.append(f"{name}: majority-vote probabilities differ")
    for policy in ("abstain", "random"):
        preds = mv.predict(L, tie_break_policy=policy)
        mine = np.array(ours["mv_" + policy])
        diff = np.flatnonzero(preds != mine)
        if diff.size:
            failures.append(f"{name}: majority vote ({policy}) differs on {diff.size} rows, first row {diff[0]}: "
                            f"snorkel {preds[diff[0]]} ours {mine[diff[0]]}")
    # true-random: every prediction must be one of the tied classes (the draw itself is random in both).
    mine = np.array(ours["mv_true-random"])
    best = probs.max(axis=1)
    bad = [i for i in range(len(mine)) if mine[i] < 0 or abs(probs[i, mine[i]] - best[i]) >= 1e-5]
    if bad:
        failures.append(f"{name}: majority vote (true-random) picks a non-tied class on rows {bad[:5]}")


def check_generative(cases, failures, report):
    from snorkel.labeling.model import LabelModel

    ours_acc, theirs_acc = [], []
    for name, meta, L, Y, ours in cases:
        k = meta["k"]
        seed = int(name.split("-s")[1].split("-")[0])
        start = time.perf_counter()
        model = LabelModel(cardinality=k, verbose=False)
        model.fit(L, n_epochs=500, lr=0.01, log_freq=100, seed=seed, progress_bar=False)
        preds = model.predict(L, tie_break_policy="random")
        seconds = time.perf_counter() - start
        theirs = float((preds == Y).mean())
        mine = float((np.array(ours["gen_random"]) == Y).mean())
        ours_acc.append(mine)
        theirs_acc.append(theirs)
        report.append(f"{name}: accuracy ours {mine:.4f} ({ours['gen_millis']} ms) snorkel LabelModel {theirs:.4f} "
                      f"({seconds * 1000:.0f} ms)")
    mean_ours, mean_theirs = float(np.mean(ours_acc)), float(np.mean(theirs_acc))
    report.append(f"generative mean accuracy over {len(cases)} matrices: ours {mean_ours:.4f} snorkel {mean_theirs:.4f}")
    if mean_ours < mean_theirs - 0.01:
        failures.append(f"generative model mean accuracy {mean_ours:.4f} is more than 1 point below Snorkel's "
                        f"{mean_theirs:.4f}")


def check(d):
    names = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".json") and not f.endswith(".out.json"))
    failures, report, generative = [], [], []
    for name in names:
        meta, L, Y, ours = load(d, name)
        if meta["kind"] == "analysis":
            check_analysis(name, meta, L, Y, ours, failures)
        else:
            generative.append((name, meta, L, Y, ours))
    check_generative(generative, failures, report)
    report.append(f"{len(names) - len(generative)} analysis/majority-vote matrices compared with Snorkel "
                  f"{__import__('snorkel').__version__}")
    print("\n".join(report))
    if failures:
        print(f"{len(failures)} MISMATCHES:", file=sys.stderr)
        print("\n".join(failures[:50]), file=sys.stderr)
        return 1
    print("conformance with Snorkel: OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "check"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
