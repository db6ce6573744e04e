"""Label models offline: predict from an exported model document with numpy alone.

A fitted label model exports as a JSON document (``model.to_dict()`` / ``model.save(path)``, format
``labelflight.labelmodel/1``). :class:`OfflineLabelModel` predicts from it without a server, with the same
arithmetic in the same order as the server, so predictions are identical and probabilities agree to
floating-point rounding of ``exp`` (about 1e-15)::

    m = OfflineLabelModel.load("spam-v3.json")
    probs = m.predict_proba(L)        # L: (rows, LFs) ints, -1 = abstain, columns in m.lf_names order
    preds = m.predict(L)              # the model's tie policy; or predict(L, tie_policy="prior")
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

import numpy as np

FORMAT = "labelflight.labelmodel/1"
TOLERANCE = 1e-5
_MASK64 = (1 << 64) - 1


class OfflineLabelModel:
    """A label model rebuilt from its exported document; ``predict_proba`` needs only numpy."""

    def __init__(self, document: dict):
        if document.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not a {FORMAT} document: format {document.get('format')!r}")
        self.document = document
        # Generative models are exported in their log-linear form beside their native parameters.
        self.params = document.get("loglinear") or document["params"]
        self.classes: list[str] = list(document.get("classes") or range(self.params["classes"]))
        self.lf_names: list[str] = [lf["name"] for lf in document.get("lfs", [])]
        settings = document.get("settings", {})
        self.tie_policy: str = settings.get("tiePolicy", "abstain")
        self.seed: int | None = settings.get("seed")

    @classmethod
    def load(cls, path: str) -> "OfflineLabelModel":
        with open(path, "r", encoding="utf-8") as f:
            return cls(json.load(f))

    @property
    def kind(self) -> str:
        return self.params["kind"]

    def class_balance(self) -> np.ndarray:
        return _class_balance(self.params)

    def predict_proba(self, L: Any) -> np.ndarray:
        """P(class | votes) per row: an array of shape (rows, classes)."""
        L = _matrix(L, self.params)
        return _predict_proba(self.params, L)

    def predict(self, L: Any, tie_policy: str | None = None, seed: int | None = None,
                row_ids: Sequence[int] | None = None) -> np.ndarray:
        """The most probable class per row; ties as the model's tie policy (or the one given).

        ``row_ids`` are the rows' ids in their dataset (what ``random`` keys on); by default 0..rows-1.
        """
        probs = self.predict_proba(L)
        policy = tie_policy or self.tie_policy
        seed = self.seed if seed is None else seed
        rows = np.arange(len(probs), dtype=np.int64) if row_ids is None else np.asarray(row_ids, dtype=np.int64)
        return break_ties(probs, policy, seed, self.class_balance(), rows)


def _matrix(L: Any, params: dict) -> np.ndarray:
    L = np.asarray(getattr(L, "to_numpy", lambda: L)(), dtype=np.int64)
    if L.ndim != 2 or L.shape[1] != params["lfs"]:
        raise ValueError(f"L must have shape (rows, {params['lfs']}), not {L.shape}")
    return L


def _class_balance(params: dict) -> np.ndarray:
    if "classBalance" in params:
        return np.asarray(params["classBalance"], dtype=np.float64)
    k = params["classes"]
    return np.full(k, 1.0 / k)


def _predict_proba(params: dict, L: np.ndarray) -> np.ndarray:
    if params.get("multiLabel"):
        return _multi_label(params, L)
    if params.get("form") == "loglinear":
        return _loglinear(params, L)
    if params["kind"] == "majority":
        return _majority(params["classes"], L)
    raise ValueError(f"cannot predict offline with a {params['kind']!r} model in its native form")


def _majority(k: int, L: np.ndarray) -> np.ndarray:
    n = L.shape[0]
    counts = np.zeros((n, k), dtype=np.int64)
    for j in range(L.shape[1]):
        v = L[:, j]
        voted = v >= 0
        if np.any(v[voted] >= k):
            raise ValueError(f"label {int(v[voted].max())} is outside the model's {k} classes")
        np.add.at(counts, (np.nonzero(voted)[0], v[voted]), 1)
    top = counts.max(axis=1, keepdims=True)
    winners = counts == top
    return winners / winners.sum(axis=1, keepdims=True)


def _loglinear(params: dict, L: np.ndarray) -> np.ndarray:
    k, m = params["classes"], params["lfs"]
    n = L.shape[0]
    scores = np.tile(np.asarray(params["bias"], dtype=np.float64), (n, 1))
    vote = np.asarray(params["vote"], dtype=np.float64).reshape(m, k) if "vote" in params else None
    agree = np.asarray(params["agree"], dtype=np.float64).reshape(m, k) if "agree" in params else None
    full = np.asarray(params["full"], dtype=np.float64).reshape(m, k, k) if "full" in params else None
    # Per row the additions happen LF by LF, each as vote, then agree, then full: the server's order.
    for j in range(m):
        v = L[:, j]
        rows = np.nonzero(v >= 0)[0]
        if rows.size == 0:
            continue
        vv = v[rows]
        if np.any(vv >= k):
            raise ValueError(f"label {int(vv.max())} is outside the model's {k} classes")
        if vote is not None:
            scores[rows] += vote[j]
        if agree is not None:
            scores[rows, vv] += agree[j, vv]
        if full is not None:
            scores[rows] += full[j, vv]
    return _softmax(scores)


def _softmax(scores: np.ndarray) -> np.ndarray:
    top = scores.max(axis=1, keepdims=True)
    e = np.exp(scores - top)
    total = e[:, 0].copy()
    for c in range(1, e.shape[1]):  # in class order, as the server sums
        total += e[:, c]
    return e * (1.0 / total)[:, None]


def _multi_label(params: dict, L: np.ndarray) -> np.ndarray:
    classes = params["classes"]
    lf_classes = np.asarray(params["lfClasses"], dtype=np.int64)
    out = np.empty((L.shape[0], classes))
    for c in range(classes):
        cols = np.nonzero(lf_classes == c)[0]
        out[:, c] = _predict_proba(params["models"][c], L[:, cols])[:, 1]
    return out


def _mix(seed: int, rows: np.ndarray) -> np.ndarray:
    """SplitMix64 of (seed, row), as the server's ``TiePolicy.mix``."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed & _MASK64) + np.uint64(0x9E3779B97F4A7C15) * (rows.astype(np.uint64) + np.uint64(1)))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def break_ties(probs: np.ndarray, policy: str, seed: int | None, prior: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Predictions from probabilities under a tie policy, keyed by row id (the server's ``TiePolicy``)."""
    top = probs.max(axis=1, keepdims=True)
    tied = np.abs(probs - top) < TOLERANCE
    count = tied.sum(axis=1)
    preds = probs.argmax(axis=1).astype(np.int64)
    preds[count == 1] = tied[count == 1].argmax(axis=1)
    multi = np.nonzero(count > 1)[0]
    if multi.size == 0:
        return preds
    if policy == "abstain":
        preds[multi] = -1
        return preds
    for r in multi:  # ties are rare; clarity over speed
        candidates = np.nonzero(tied[r])[0]
        if policy == "prior":
            preds[r] = candidates[np.argmax(prior[candidates])]
        elif policy == "random" and seed is None:
            digest = int(hashlib.sha1(str(int(rows[r])).encode()).hexdigest(), 16)
            preds[r] = candidates[digest % len(candidates)]
        elif policy in ("random", "true-random"):
            h = int(_mix(0 if seed is None else seed, rows[r:r + 1])[0])
            preds[r] = candidates[h % len(candidates)]
        else:
            raise ValueError(f"unknown tie policy {policy!r}")
    return preds
