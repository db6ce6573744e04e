"""Issue 19.2: analysis and label-model fits of a subset of a label matrix use exactly its rows."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import LABELS
from test_analysis_and_models import SNORKEL_COLUMNS, reference_summary

LFS = [
    lf.keyword("kw_spam", ["free money", "click here", "winner"], label="SPAM"),
    lf.regex("re_url", r"https?://", label="SPAM"),
    lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
    lf.numeric("high_stars", "stars", ">=", 4, label="HAM"),
    lf.keyword("kw_ham", ["works great", "battery", "arrived"], label="HAM"),
]


@pytest.fixture(scope="module")
def shuffled(client):
    """A shuffled frame with a string index (the notebook case), uploaded, and its label matrix."""
    df = corpus.reviews(3000, seed=23).sample(frac=1, random_state=5)
    df.index = pd.Index([f"doc{i}" for i in df.index], name="doc")
    client.upload(df, "subset_reviews", progress=False)
    return df, client.apply("subset_reviews", LFS, labels=LABELS)


def check_summary(summary, L, gold):
    ref = reference_summary(L.to_numpy(), gold)
    assert summary.attrs["rows"] == len(L)
    for column in SNORKEL_COLUMNS[1:]:
        np.testing.assert_allclose(summary[column].to_numpy(dtype=float), ref[column].to_numpy(dtype=float),
                                   err_msg=column)


def test_analysis_of_a_subset_reads_only_its_rows(client, shuffled):
    """Verifies that analysis of L.iloc[:1000], of L[mask] and of a reordered subset equals Snorkel's
    definitions on exactly those rows (not on the whole job)."""
    df, L = shuffled
    first = L.iloc[:1000]
    check_summary(client.analysis(first, gold="gold"), first, df.loc[first.index, "gold"].to_numpy())
    mask = (df["source"] == "web") | (df["price"] > 60)
    subset = L[mask]
    assert 0 < len(subset) < len(L)
    check_summary(client.analysis(subset, gold="gold"), subset, df.loc[subset.index, "gold"].to_numpy())
    reordered = subset.sample(frac=1, random_state=9)
    pd.testing.assert_frame_equal(client.analysis(reordered, gold="gold"), client.analysis(subset, gold="gold"))
    # The whole matrix, in another order, is the whole job.
    assert client.analysis(L.sample(frac=1, random_state=1)).attrs["rows"] == len(L)


def test_fit_on_a_subset_equals_a_fit_on_those_rows_alone(client, shuffled, name):
    """Verifies that a generative fit on L[mask] learns what a fit on a dataset of only those rows learns,
    which differs from a fit on all rows, and that it still predicts every row of the job."""
    df, L = shuffled
    mask = df["stars"].fillna(0).to_numpy() >= 3
    model = client.fit_label_model(L[mask], "generative", seed=0)
    assert model.rows == int(mask.sum())
    client.upload(df[mask], name, progress=False)
    alone = client.fit_label_model(client.apply(name, LFS, labels=LABELS), "generative", seed=0)
    everything = client.fit_label_model(L, "generative", seed=0)
    np.testing.assert_allclose(model.weights, alone.weights, atol=1e-4)
    assert np.abs(np.array(model.weights) - np.array(everything.weights)).max() > 1e-3
    pd.testing.assert_index_equal(model.predict().index, df.index)
    majority = client.fit_label_model(L.iloc[:700], "majority")
    assert majority.rows == 700


def test_subsets_that_cannot_be_honoured_fail_clearly(client, shuffled):
    """Verifies clear errors instead of a silent whole-job answer: a subset of LFs, repeated rows, rows from
    elsewhere."""
    _, L = shuffled
    with pytest.raises(lf.InvalidRequest, match="subset of LFs"):
        client.analysis(L[["kw_spam", "re_url"]])
    with pytest.raises(lf.InvalidRequest, match="more than once"):
        client.fit_label_model(pd.concat([L.iloc[:5], L.iloc[:5]]))
    stranger = L.iloc[:3].copy()
    stranger.index = pd.Index(["nope1", "nope2", "nope3"], name="doc")
    with pytest.raises(lf.InvalidRequest, match="not in its job"):
        client.analysis(stranger)


def test_row_ranges_of_a_row_id_matrix(client, name):
    """Verifies the ranges sent for a matrix indexed by row id: runs of consecutive ids, None for the whole."""
    client.upload(corpus.reviews(500, seed=2), name, progress=False)
    L = client.apply(name, LFS[:2], labels=LABELS)
    assert client.row_ranges(L) is None
    assert client.row_ranges(L.iloc[[3, 4, 5, 9, 0]]) == [[0, 1], [3, 6], [9, 10]]
    assert client.analysis(L.iloc[10:20]).attrs["rows"] == 10


def test_subset_of_many_runs_travels_as_arrow(client, shuffled, monkeypatch):
    """Verifies that a subset of more runs than a request's JSON carries is uploaded as an Arrow column of row
    ids (DoPut ["selections", JOB]) and still analysed and fitted on exactly its rows."""
    from labelflight import client as client_module
    monkeypatch.setattr(client_module, "MAX_ROW_RANGES", 10)
    df, L = shuffled
    mask = np.arange(len(L)) % 3 == 0
    subset = L[mask]
    assert len(client.row_ranges(subset)) > 10
    assert "selection" in client._selection(subset)
    check_summary(client.analysis(subset, gold="gold"), subset, df.loc[subset.index, "gold"].to_numpy())
    assert client.fit_label_model(subset, "majority").rows == int(mask.sum())
    with pytest.raises(lf.NotFound, match="row selection"):
        client._action("analysis", {"job": L.attrs["labelflight_job"], "selection": "0123abcd"})
