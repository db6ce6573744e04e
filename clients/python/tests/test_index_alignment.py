"""Issue 19.1: every result for an uploaded DataFrame carries the DataFrame's own index, whatever its order and
index type, so that pandas aligns results to the right rows (df["pred"] = model.predict())."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import labelflight as lf
import corpus
from corpus import HAM, LABELS, SPAM

ROWS = 2500
KW = ["free money", "click here", "winner"]


def frame(kind: str) -> pd.DataFrame:
    df = corpus.reviews(ROWS, seed=3)
    rng = np.random.default_rng(17)
    if kind == "shuffled":  # a permutation of 0..n-1: before the fix every row silently got another's labels
        return df.sample(frac=1, random_state=1)
    if kind == "string":
        df.index = pd.Index([f"r{i:05d}" for i in rng.permutation(ROWS)], name="key")
        return df
    if kind == "datetime":
        df.index = pd.date_range("2024-03-01", periods=ROWS, freq="h", tz="Europe/Paris")[rng.permutation(ROWS)]
        return df
    if kind == "multi":
        df.index = pd.MultiIndex.from_arrays([rng.integers(0, 40, ROWS), [f"m{i}" for i in range(ROWS)]],
                                             names=["shard", "id"])
        return df.sample(frac=1, random_state=2)
    if kind == "filtered_shuffled":
        return df[df["price"] > 20].sample(frac=1, random_state=3)
    raise ValueError(kind)


KINDS = ["shuffled", "string", "datetime", "multi", "filtered_shuffled"]


def expected_votes(df: pd.DataFrame) -> np.ndarray:
    return corpus.keyword(df["text"].astype("string"), KW, SPAM)


@pytest.mark.parametrize("kind", KINDS)
def test_results_are_indexed_like_the_frame(client, name, kind):
    """Verifies that L, streamed parts, probabilities, predictions and the download carry the frame's index,
    and that assigning them into the frame puts every value on its own row."""
    df = frame(kind)
    client.upload(df, name, progress=False)
    lfs = [lf.keyword("kw", KW, label="SPAM"), lf.numeric("high", "stars", ">=", 4, label="HAM")]
    L = client.apply(name, lfs, labels=LABELS)
    pd.testing.assert_index_equal(L.index, df.index)
    aligned = df.assign(kw=L["kw"])  # pandas aligns on the index
    np.testing.assert_array_equal(aligned["kw"].to_numpy(), expected_votes(df))
    assert aligned["kw"].notna().all()

    parts = list(client.apply(name, lfs, labels=LABELS, wait=False))
    streamed = pd.concat(parts)
    pd.testing.assert_index_equal(streamed.index, df.index)

    model = client.fit_label_model(L, "majority")
    probs = model.predict_proba()
    pd.testing.assert_index_equal(probs.index, df.index)
    df2 = df.copy()
    df2["pred"] = model.predict()
    votes = np.column_stack([expected_votes(df), corpus.numeric(df["stars"], ">=", 4, HAM)])
    counts = np.stack([(votes == c).sum(axis=1) for c in (HAM, SPAM)], axis=1)
    local = np.where(counts[:, 0] == counts[:, 1], -1, counts.argmax(axis=1))
    np.testing.assert_array_equal(df2["pred"].to_numpy(), local)

    back = client.download(name)
    pd.testing.assert_index_equal(back.index, df.index)
    assert list(back.columns) == list(df.columns)
    assert back["text"].tolist() == df["text"].tolist()
    np.testing.assert_array_equal(back["price"].to_numpy(), df["price"].to_numpy())


def test_parquet_written_by_pandas_keeps_its_index(client, name, tmp_path):
    """Verifies that a Parquet file pandas wrote with a (named, shuffled) index uploads with that index, and
    that an Arrow table without one is numbered by row id as before."""
    df = frame("string")
    path = tmp_path / "r.parquet"
    df.to_parquet(path)
    client.upload(path, name, progress=False)
    L = client.apply(name, [lf.keyword("kw", KW, label="SPAM")], labels=LABELS)
    pd.testing.assert_index_equal(L.index, df.index)
    pd.testing.assert_index_equal(client.download(name).index, df.index)
    client.upload(pa.Table.from_pandas(df, preserve_index=False), name, progress=False)
    plain = client.apply(name, [lf.keyword("kw", KW, label="SPAM")], labels=LABELS)
    assert plain.index.name == "row_id" and plain.index.tolist() == list(range(len(df)))


def test_default_range_index_is_row_ids_and_index_can_be_left_out(client, name):
    """Verifies that a default RangeIndex is not stored (results by row_id, as before) and index=False
    leaves any index out."""
    df = frame("shuffled")
    client.upload(df.reset_index(drop=True), name, progress=False)
    assert client.apply(name, [lf.keyword("kw", KW, label="SPAM")], labels=LABELS).index.name == "row_id"
    client.upload(df, name, progress=False, index=False)
    assert client.download(name).index.equals(pd.RangeIndex(len(df)))


def test_index_that_cannot_be_stored_is_refused(client, name):
    """Verifies that an index of a type no column can hold fails before anything is sent, saying what to do."""
    df = pd.DataFrame({"text": ["a", "b"]}, index=pd.period_range("2024-01", periods=2, freq="M"))
    with pytest.raises(TypeError, match="index=False"):
        client.upload(df, name, progress=False)
