"""Derived columns (Client.derive) and fault-tolerant LFs (faults in job status) through the real server."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import HAM, LABELS, SPAM

_EXTRA = ["Été À l'ÉCOLE", "order #123 shipped", "  spaced\tout\nlines  ", "no\u00a0break\u2003em\u3000wide",
          "İstanbul ΟΔΟΣ Straße", "😀 emoji #7", ""]


@pytest.fixture(scope="module")
def dataset(client):
    df = corpus.reviews(2500, seed=11)
    extra = pd.array([_EXTRA[i % len(_EXTRA)] for i in range(0, len(df), 9)], dtype=object)
    df.loc[df.index[::9], "text"] = extra
    client.upload(df, "derived_reviews", progress=False)
    return df


def test_derive_kinds_match_python(client, dataset):
    """Verifies that lowercase, length, token_count and regex_extract columns equal str.lower, len,
    len(str.split()) and str.extract on every row (nulls stay null), and that they come back with the dataset."""
    for name, kind, pattern in [("low", "lowercase", None), ("len", "length", None), ("toks", "token_count", None),
                                ("num", "regex_extract", r"#(\d+)")]:
        reply = client.derive("derived_reviews", name, kind, "text", pattern=pattern)
        assert reply["column"] == name and reply["rows"] == len(dataset)
    back = client.download("derived_reviews")
    text = dataset["text"]
    expected = {
        "low": text.map(lambda s: s.lower() if isinstance(s, str) else None),
        "len": text.map(lambda s: len(s) if isinstance(s, str) else None),
        "toks": text.map(lambda s: len(s.split()) if isinstance(s, str) else None),
        "num": text.str.extract(r"#(\d+)", expand=False),
    }
    for name, want in expected.items():
        got = back[name]
        assert got.isna().tolist() == want.isna().tolist(), name
        mask = want.notna().to_numpy()
        if name in ("low", "num"):
            assert got[mask].tolist() == want[mask].tolist(), name
        else:
            assert got[mask].astype(int).tolist() == want[mask].astype(int).tolist(), name
    assert client.derive("derived_reviews", "low", "lowercase", "text")["created"] is False


def test_lfs_read_derived_columns(client, dataset):
    """Verifies that keyword and numeric LFs over derived columns vote as the same tests in pandas."""
    client.derive("derived_reviews", "low2", "lowercase", "text")
    client.derive("derived_reviews", "toks2", "token_count", "text")
    L = client.apply("derived_reviews", [
        lf.keyword("free", ["free money"], column="low2", case_sensitive=True, label="SPAM"),
        lf.numeric("wordy", "toks2", ">=", 10, label="HAM")], labels=LABELS)
    low = dataset["text"].map(lambda s: s.lower() if isinstance(s, str) else None)
    np.testing.assert_array_equal(L["free"].to_numpy(),
                                  corpus.vote(low.str.contains("free money", regex=False), SPAM))
    toks = dataset["text"].map(lambda s: len(s.split()) if isinstance(s, str) else np.nan)
    np.testing.assert_array_equal(L["wordy"].to_numpy(), corpus.vote(toks >= 10, HAM))


def test_derive_rejects_bad_input(client, dataset):
    """Verifies that an unknown kind fails in Python, and a taken name, a missing column or a bad pattern
    come back as InvalidRequest with the server's reason."""
    with pytest.raises(lf.InvalidRequest, match="kind must be one of"):
        client.derive("derived_reviews", "x", "stem", "text")
    with pytest.raises(lf.InvalidRequest, match="already a column"):
        client.derive("derived_reviews", "stars", "length", "text")
    with pytest.raises(lf.InvalidRequest, match="unknown source column 'body'"):
        client.derive("derived_reviews", "x", "length", "body")
    with pytest.raises(lf.InvalidRequest, match="invalid regex"):
        client.derive("derived_reviews", "x", "regex_extract", "text", pattern="(")


def test_fault_tolerant_lfs_report_faults(client, dataset):
    """Verifies that an expression failing on some rows fails the job naming the LF, and that with
    fault_tolerant it abstains on exactly those rows and the job reports their number as its faults."""
    failing = lf.expr("div", "100 / (stars - 3) > 10", label="SPAM")
    with pytest.raises(lf.LabelFlightError, match=r"LF 'div' \(expression\) failed on row \d+"):
        client.apply("derived_reviews", [failing], labels=LABELS)
    stars = dataset["stars"]
    threes = int((stars == 3).fillna(False).sum())
    assert threes > 0
    for lfs, kwargs in [([lf.expr("div", "100 / (stars - 3) > 10", label="SPAM", fault_tolerant=True)], {}),
                        ([failing], {"fault_tolerant": True})]:
        L = client.apply("derived_reviews", lfs, labels=LABELS, **kwargs)
        assert L.attrs["faults"] == {"div": threes}
        assert client.faults(L) == {"div": threes}
        ok = stars.notna() & (stars != 3)
        want = np.full(len(stars), -1, dtype=np.int8)
        s = stars[ok].astype(int).to_numpy()
        want[ok.to_numpy()] = np.where(100 // (s - 3) > 10, SPAM, -1)
        np.testing.assert_array_equal(L["div"].to_numpy(), want)
