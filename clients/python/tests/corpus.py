"""A small seeded review corpus and pandas versions of the LF semantics, the oracle for server results."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

HAM, SPAM = 0, 1
LABELS = ["HAM", "SPAM"]

_SPAM_PHRASES = ["FREE money", "click here", "Winner! claim your prize", "visit http://deals.example",
                 "limited offer", "buy now", "free shipping on everything"]
_HAM_PHRASES = ["works great", "the battery lasts", "arrived on time", "my daughter loves it",
                "sturdy and well made", "a bit noisy", "returned it, too small", "freedom of movement"]
_FILLER = ["the", "a", "it", "was", "and", "very", "quite", "really", "box", "item", "colour", "size"]


def reviews(rows: int = 3500, seed: int = 7) -> pd.DataFrame:
    """Reviews with text, stars, length, price, source and a gold label; some nulls in text and stars."""
    rng = np.random.default_rng(seed)
    gold = (rng.random(rows) < 0.3).astype(np.int64)
    texts = []
    for g in gold:
        phrases = _SPAM_PHRASES if g == SPAM and rng.random() < 0.8 else _HAM_PHRASES
        words = list(rng.choice(_FILLER, size=rng.integers(2, 12)))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(phrases)))
        texts.append(" ".join(words))
    text = pd.array(texts, dtype=object)
    text[rng.random(rows) < 0.02] = None
    stars = pd.array(np.where(gold == SPAM, rng.integers(1, 3, rows), rng.integers(1, 6, rows)), dtype="Int64")
    stars[rng.random(rows) < 0.03] = pd.NA
    return pd.DataFrame({
        "text": text,
        "stars": stars,
        "length": np.array([len(t) if t else 0 for t in text], dtype=np.int32),
        "price": np.round(rng.gamma(2.0, 20.0, rows), 2),
        "source": rng.choice(["web", "forum", "sms", "email"], size=rows),
        "gold": gold,
    })


def vote(mask, label: int) -> np.ndarray:
    """-1 where mask is false or missing, else label, as int8."""
    m = pd.Series(mask).fillna(False).astype(bool).to_numpy()
    return np.where(m, label, -1).astype(np.int8)


def keyword(text: pd.Series, keywords, label, case_sensitive=False, whole_word=False) -> np.ndarray:
    flags = 0 if case_sensitive else re.IGNORECASE
    # The server's word characters: ASCII letters, digits, '_' and any non-ASCII character.
    body = "|".join(re.escape(k) for k in keywords)
    pattern = rf"(?<![A-Za-z0-9_\x80-\U0010ffff])(?:{body})(?![A-Za-z0-9_\x80-\U0010ffff])" if whole_word else body
    return vote(text.str.contains(pattern, flags=flags, regex=True), label)


def regex(text: pd.Series, pattern, label, case_sensitive=True) -> np.ndarray:
    return vote(text.str.contains(pattern, flags=0 if case_sensitive else re.IGNORECASE, regex=True), label)


def numeric(values: pd.Series, op: str, value=None, label=0, lo=None, hi=None) -> np.ndarray:
    v = values.astype("Float64")
    mask = {"<": lambda: v < value, "<=": lambda: v <= value, ">": lambda: v > value, ">=": lambda: v >= value,
            "==": lambda: v == value, "!=": lambda: v != value, "between": lambda: (v >= lo) & (v <= hi)}[op]()
    return vote(mask, label)
