"""Round trips of the LF kinds that land on the server from a parallel branch (categorical, expression,
similarity, model) through the real server."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import labelflight as lf
import corpus
from corpus import HAM, LABELS, SPAM


@pytest.fixture(scope="module")
def dataset(client):
    df = corpus.reviews(1800, seed=5)
    rng = np.random.default_rng(9)
    emb = rng.normal(size=(len(df), 4)).astype(np.float32)
    table = pa.Table.from_pandas(df, preserve_index=False).append_column(
        "emb", pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), 4))
    client.upload(table, "kinds_reviews", progress=False)
    return df, emb


def apply(client, lfs):
    return client.apply("kinds_reviews", lfs, labels=LABELS)


def test_categorical(client, dataset):
    """Verifies that a categorical LF votes exactly where pandas' isin is true."""
    df, _ = dataset
    L = apply(client, [lf.categorical("src", "source", ["forum", "sms"], label="SPAM")])
    np.testing.assert_array_equal(L["src"].to_numpy(), corpus.vote(df["source"].isin(["forum", "sms"]), SPAM))


def test_expression(client, dataset):
    """Verifies a CEL expression LF with a label against the same condition in pandas."""
    df, _ = dataset
    L = apply(client, [lf.expr("rule", "length > 40 && price < 30.0", label="HAM")])
    np.testing.assert_array_equal(L["rule"].to_numpy(),
                                  corpus.vote((df["length"] > 40) & (df["price"] < 30.0), HAM))


def test_similarity(client, dataset):
    """Verifies a similarity LF against numpy's cosine similarity of the vector column to the query."""
    _, emb = dataset
    query = np.array([1.0, 0.5, -0.25, 0.0], dtype=np.float32)
    L = apply(client, [lf.similarity("near", "emb", query, 0.6, label="SPAM")])
    cos = emb @ query / (np.linalg.norm(emb, axis=1) * np.linalg.norm(query))
    expected = corpus.vote(cos >= 0.6, SPAM)
    # Rows within float rounding of the threshold may go either way.
    clear = np.abs(cos - 0.6) > 1e-5
    np.testing.assert_array_equal(L["near"].to_numpy()[clear], expected[clear])


def test_model_kind_reports_a_missing_model(client, dataset):
    """Verifies that a model LF the server cannot run (no such model, or no models directory on this node)
    fails as InvalidLF naming the LF."""
    with pytest.raises(lf.InvalidLF, match=r"LF 'clf' \(model\): .*model"):
        apply(client, [lf.model("clf", "text", "no_such_model.onnx", 0.5, label="SPAM")])
