"""Issue 19.3: every string type pandas and pyarrow produce (pandas 3's default ``str``, i.e. Arrow
large_string; pandas 2's ``string[pyarrow]``; string views; dictionaries) works wherever a string column does:
gold (class names, single- and multi-label), keyword, regex, categorical, expression and model-free LFs, derive
sources."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import labelflight as lf
import corpus
from corpus import HAM, LABELS, SPAM

STRING_TYPES = {
    "large_string": lambda values: pa.array(values, pa.large_string()),
    "string": lambda values: pa.array(values, pa.string()),
    "dictionary": lambda values: pa.array(values, pa.string()).dictionary_encode(),
}
if hasattr(pa, "string_view"):
    STRING_TYPES["string_view"] = lambda values: pa.array(values, pa.string_view())


def _strings(series: pd.Series) -> list:
    return [v if isinstance(v, str) else None for v in series]


def _table(make) -> tuple[pd.DataFrame, pa.Table]:
    df = corpus.reviews(1500, seed=31)
    names = [LABELS[g] for g in df["gold"]]
    names[7] = None  # unknown gold
    table = pa.table({
        "text": make(_strings(df["text"])),
        "source": make(_strings(df["source"])),
        "stars": pa.array(df["stars"].astype("float64").to_numpy(), pa.float64()),
        "gold": make(names),
    })
    return df, table


@pytest.mark.parametrize("kind", list(STRING_TYPES))
def test_every_role_accepts_the_string_type(client, name, kind):
    """Verifies gold names, keyword, regex, categorical, expression LFs and a derived column over columns of
    this string type, against pandas."""
    df, table = _table(STRING_TYPES[kind])
    client.upload(table, name, progress=False)
    client.derive(name, "low", "lowercase", "text")
    L = client.apply(name, [
        lf.keyword("kw", ["free money"], label="SPAM"),
        lf.regex("re", r"https?://", label="SPAM"),
        lf.categorical("src", "source", ["forum", "sms"], label="SPAM"),
        lf.expr("long", "size(text) > 40", label="HAM"),
        lf.keyword("low", ["free money"], column="low", case_sensitive=True, label="SPAM"),
    ], labels=LABELS)
    text = df["text"].astype("string")
    np.testing.assert_array_equal(L["kw"].to_numpy(), corpus.keyword(text, ["free money"], SPAM))
    np.testing.assert_array_equal(L["re"].to_numpy(), corpus.regex(text, r"https?://", SPAM))
    np.testing.assert_array_equal(L["src"].to_numpy(), corpus.vote(df["source"].isin(["forum", "sms"]), SPAM))
    np.testing.assert_array_equal(L["long"].to_numpy(), corpus.vote(text.str.len() > 40, HAM))
    np.testing.assert_array_equal(L["low"].to_numpy(), L["kw"].to_numpy())
    summary = client.analysis(L, gold="gold")
    gold = df["gold"].to_numpy().copy()
    gold[7] = -1
    voted = L.to_numpy() != -1
    correct = (voted & (L.to_numpy() == gold[:, None]) & (gold[:, None] != -1)).sum(axis=0)
    assert summary["Correct"].tolist() == correct.tolist()


def test_pandas_default_string_dtype_gold(client, name):
    """Verifies a DataFrame whose strings have pandas' Arrow-backed string dtype (the default ``str`` of
    pandas 3): the gold column of class names is accepted and counted."""
    df = corpus.reviews(800, seed=4)
    dtype = "str" if pd.__version__ >= "3" else "string[pyarrow]"
    df["text"] = df["text"].astype(dtype)
    df["label"] = pd.Series([LABELS[g] for g in df["gold"]], index=df.index, dtype=dtype)
    client.upload(df, name, progress=False)
    assert pa.types.is_large_string(client.download(name, as_arrow=True).schema.field("label").type)
    L = client.apply(name, [lf.keyword("kw", ["free money", "winner"], label="SPAM")], labels=LABELS)
    summary = client.analysis(L, gold="label")
    voted = L["kw"].to_numpy() != -1
    assert summary.loc["kw", "Correct"] == int((voted & (df["gold"].to_numpy() == SPAM)).sum())
