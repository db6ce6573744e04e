"""Issue 19.4: a DataFrame column of numpy arrays or lists of floats (embeddings) uploads as
fixed_size_list<float32>, comes back equal and feeds similarity LFs."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import labelflight as lf
import corpus
from corpus import LABELS, SPAM


def test_numpy_vectors_round_trip_and_feed_similarity(client, name):
    """Verifies float32 arrays, float64 lists and nulls: stored as fixed_size_list<float32>[8], downloaded
    equal, and a similarity LF votes where numpy's cosine similarity passes the threshold."""
    rng = np.random.default_rng(12)
    emb = rng.normal(size=(1200, 8)).astype(np.float32)
    df = corpus.reviews(1200, seed=12)
    df["emb"] = list(emb)
    df["emb64"] = [[float(x) for x in row] for row in emb]
    df.loc[df.index[5], "emb64"] = None
    client.upload(df, name, progress=False)
    stored = client.download(name, as_arrow=True)
    assert stored.schema.field("emb").type == pa.list_(pa.float32(), 8)
    assert stored.schema.field("emb64").type == pa.list_(pa.float32(), 8)
    back = client.download(name)
    np.testing.assert_array_equal(np.stack(back["emb"].to_numpy()), emb)
    assert back["emb64"].isna().tolist() == [i == 5 for i in range(len(df))]
    np.testing.assert_array_equal(np.stack([v for v in back["emb64"] if v is not None]), np.delete(emb, 5, axis=0))

    query = rng.normal(size=8).astype(np.float32)
    L = client.apply(name, [lf.similarity("near", "emb", query, 0.5, label="SPAM")], labels=LABELS)
    cos = emb @ query / (np.linalg.norm(emb, axis=1) * np.linalg.norm(query))
    clear = np.abs(cos - 0.5) > 1e-5
    np.testing.assert_array_equal(L["near"].to_numpy()[clear], corpus.vote(cos >= 0.5, SPAM)[clear])
    assert (L["near"] == SPAM).any()


def test_vectors_of_different_lengths_fail_naming_the_column(client, name):
    """Verifies that a vector column whose rows differ in length is refused before the server stores anything."""
    df = pd.DataFrame({"text": ["a", "b", "c"], "emb": [np.ones(3), np.ones(3), np.ones(4)]})
    with pytest.raises(ValueError, match="column 'emb' holds vectors of different lengths"):
        client.upload(df, name, progress=False)
    with pytest.raises(lf.NotFound):
        client.download(name)
