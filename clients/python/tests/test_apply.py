"""apply through the real server: the label matrix equals a pandas computation, streams chunk by chunk,
and bad LFs, datasets and jobs come back as exceptions carrying the server's message."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from conftest import CHUNK_ROWS
from corpus import HAM, LABELS, SPAM

ROWS = 3500


@pytest.fixture(scope="module")
def dataset(client):
    df = corpus.reviews(ROWS)
    client.upload(df, "apply_reviews", progress=False)
    return df


def lf_set():
    return [
        lf.keyword("kw_spam", ["free money", "click here", "winner"], label="SPAM"),
        lf.keyword("kw_free_word", ["free"], label="SPAM", whole_word=True),
        lf.keyword("kw_case", ["FREE"], label="SPAM", case_sensitive=True),
        lf.regex("re_url", r"https?://\w+", label="SPAM"),
        lf.regex("re_offer", r"LIMITED\s+offer", label="SPAM", case_sensitive=False),
        lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
        lf.numeric("mid_stars", "stars", "between", min=3, max=4, label=HAM),
        lf.numeric("cheap", "price", "<", 12.5, label="HAM"),
        lf.numeric("not_four", "stars", "!=", 4, label="HAM"),
        {"name": "raw_dict", "kind": "keyword", "column": "text", "keywords": ["battery"], "label": "HAM"},
    ]


def expected_matrix(df: pd.DataFrame) -> np.ndarray:
    t = df["text"].astype("string")
    return np.column_stack([
        corpus.keyword(t, ["free money", "click here", "winner"], SPAM),
        corpus.keyword(t, ["free"], SPAM, whole_word=True),
        corpus.keyword(t, ["FREE"], SPAM, case_sensitive=True),
        corpus.regex(t, r"https?://\w+", SPAM),
        corpus.regex(t, r"LIMITED\s+offer", SPAM, case_sensitive=False),
        corpus.numeric(df["stars"], "<=", 1, SPAM),
        corpus.numeric(df["stars"], "between", label=HAM, lo=3, hi=4),
        corpus.numeric(df["price"], "<", 12.5, HAM),
        corpus.numeric(df["stars"], "!=", 4, HAM),
        corpus.keyword(t, ["battery"], HAM),
    ])


def test_apply_matches_pandas(client, dataset):
    """Verifies that the label matrix equals the same LFs computed with pandas, row for row."""
    L = client.apply("apply_reviews", lf_set(), labels=LABELS)
    assert list(L.columns) == [s.name if isinstance(s, lf.LF) else s["name"] for s in lf_set()]
    assert L.index.name == "row_id" and L.index.tolist() == list(range(ROWS))
    assert all(str(t) == "int8" for t in L.dtypes)
    assert L.attrs["faults"] == {}  # no LF is fault-tolerant: known without asking the server
    expected = expected_matrix(dataset)
    for j, column in enumerate(L.columns):
        np.testing.assert_array_equal(L[column].to_numpy(), expected[:, j], err_msg=column)
    # Every LF votes somewhere and abstains somewhere: the comparison is not vacuous.
    assert ((expected != -1).any(axis=0) & (expected == -1).any(axis=0)).all()


def test_matrix_is_snorkels_L(client, dataset):
    """Verifies that .to_numpy() is an int8 (rows x LFs) array with -1 abstains and class indexes."""
    L = client.apply("apply_reviews", lf_set()[:3], labels=LABELS).to_numpy()
    assert L.dtype == np.int8 and L.shape == (ROWS, 3)
    assert set(np.unique(L)) <= {-1, HAM, SPAM}


def test_class_index_labels_resolve_against_labels(client, dataset):
    """Verifies that label=1 means labels[1] and an index outside labels fails before the call."""
    by_index = client.apply("apply_reviews", [lf.keyword("k", ["free"], label=1)], labels=LABELS)
    by_name = client.apply("apply_reviews", [lf.keyword("k", ["free"], label="SPAM")], labels=LABELS)
    pd.testing.assert_frame_equal(by_index, by_name)
    with pytest.raises(lf.InvalidRequest, match="label index 5 is outside"):
        client.apply("apply_reviews", [lf.keyword("k", ["free"], label=5)], labels=LABELS)


def test_older_version_is_applied_on_request(client, name):
    """Verifies that version= picks the stored version the LFs run over."""
    client.upload(pd.DataFrame({"text": ["free", "no"]}), name)
    client.upload(pd.DataFrame({"text": ["no", "no", "free"]}), name)
    kw = [lf.keyword("k", ["free"], label="SPAM")]
    assert client.apply(name, kw, labels=LABELS)["k"].tolist() == [-1, -1, SPAM]
    assert client.apply(name, kw, labels=LABELS, version=1)["k"].tolist() == [SPAM, -1]


def test_wait_false_streams_chunks_in_row_order(client, dataset):
    """Verifies that a job's labels arrive as one DataFrame per chunk, in row order, equal to the whole."""
    job = client.apply("apply_reviews", lf_set(), labels=LABELS, wait=False)
    assert isinstance(job, lf.Job)
    parts = list(job)
    assert len(parts) == -(-ROWS // CHUNK_ROWS)
    assert [p.index[0] for p in parts] == list(range(0, ROWS, CHUNK_ROWS))
    streamed = pd.concat(parts)
    np.testing.assert_array_equal(streamed.to_numpy(), expected_matrix(dataset))
    status = job.status()
    assert status["state"] == "SUCCEEDED"
    assert status["rowsDone"] == status["rowsTotal"] == ROWS
    assert status["lfs"] == job.lfs
    batches = list(job.batches())
    assert sum(b.num_rows for b in batches) == ROWS and batches[0].schema.names[0] == "row_id"
    assert job.wait()["state"] == "SUCCEEDED"
    assert client.job(job.id).lfs == job.lfs


@pytest.mark.parametrize("lfs, labels, error, message", [
    ([lf.regex("bad_re", "(unclosed", label="SPAM")], LABELS, lf.InvalidLF,
     r"LF 'bad_re' \(regex\): invalid regex: .*missing closing \)"),
    ([lf.keyword("kw", ["x"], label="SPAM", column="body")], LABELS, lf.InvalidLF,
     r"LF 'kw' \(keyword\): unknown column 'body'"),
    ([lf.numeric("n", "text", ">", 1, label="HAM")], LABELS, lf.InvalidLF,
     r"LF 'n' \(numeric\): column 'text' has type .*, not a number"),
    ([lf.keyword("kw", ["x"], label="EGGS")], LABELS, lf.InvalidLF,
     r"LF 'kw' \(keyword\): label 'EGGS' is not one of the job's labels \[HAM, SPAM\]"),
    ([lf.keyword("same", ["x"], label="HAM"), lf.keyword("same", ["y"], label="HAM")], LABELS, lf.InvalidRequest,
     "two LFs are named 'same'"),
    ([lf.LF("odd", "telepathy", column="text", label="HAM")], LABELS, lf.InvalidLF,
     "unknown kind 'telepathy'"),
    ([], LABELS, lf.InvalidRequest, "'lfs' is empty"),
    ([lf.keyword("kw", ["x"], label="HAM")], [], lf.InvalidRequest, "'labels' is empty"),
])
def test_bad_lfs_raise_with_server_message(client, dataset, lfs, labels, error, message):
    """Verifies that each bad request raises the mapped exception with the server's explanation."""
    with pytest.raises(error, match=message):
        client.apply("apply_reviews", lfs, labels=labels)


def test_unknown_dataset_and_job(client):
    """Verifies NOT_FOUND for a missing dataset, version and job, as lf.NotFound (a LookupError)."""
    kw = [lf.keyword("k", ["x"], label="HAM")]
    with pytest.raises(lf.NotFound, match="dataset 'no_such_dataset' not found"):
        client.apply("no_such_dataset", kw, labels=LABELS)
    with pytest.raises(lf.NotFound, match="version 99"):
        client.apply("apply_reviews", kw, labels=LABELS, version=99)
    with pytest.raises(LookupError, match="job 'feedbeef' not found"):
        client.status("feedbeef")
    with pytest.raises(lf.NotFound, match="job 'feedbeef' not found"):
        list(lf.Job(client, "feedbeef", LABELS, ["k"]))


def test_cancel_stops_a_running_job(client, name):
    """Verifies that cancel() ends a long job early and that streaming its labels then raises Cancelled."""
    rows = 120 * CHUNK_ROWS
    words = np.array(["lorem", "ipsum", "dolor", "sit", "amet", "free", "offer", "money"])
    rng = np.random.default_rng(3)
    text = [" ".join(w) for w in rng.choice(words, size=(rows, 40))]
    client.upload(pd.DataFrame({"text": text}), name, progress=False)
    slow = [lf.regex(f"r{i}", rf"(\w+\s+){{{i + 2}}}(free|money)\s+\w*{i}x", label="SPAM") for i in range(8)]
    job = client.apply(name, slow, labels=LABELS, wait=False)
    status = client.cancel(job)
    assert status["state"] == "CANCELLED", status
    assert status["chunksDone"] < status["chunksTotal"]
    assert job.wait()["state"] == "CANCELLED"
    with pytest.raises(lf.Cancelled, match=f"job {job.id} cancelled"):
        job.to_pandas()
    with pytest.raises(lf.NotFound):
        client.cancel("feedbeef")
