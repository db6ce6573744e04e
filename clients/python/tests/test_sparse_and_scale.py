"""Sparse label layout, int16 labels above 127 classes and multi-label jobs, through the real server."""

import numpy as np
import pytest
import scipy.sparse as sp

import labelflight as lf
import corpus

ROWS = 2500
WORDS = ["great", "battery", "free", "screen", "terrible", "love", "money", "sound", "broken", "price"]


@pytest.fixture(scope="module")
def dataset(client):
    df = corpus.reviews(ROWS, seed=11)
    client.upload(df, "scale_reviews", progress=False)
    return df


def word_lfs(label_of, vote_of=None):
    out = []
    for i, w in enumerate(WORDS):
        spec = {"name": f"kw_{w}", "kind": "keyword", "column": "text", "keywords": [w], "label": label_of(i)}
        if vote_of is not None:
            spec["vote"] = vote_of(i)
        out.append(spec)
    return out


def test_sparse_layout_agrees_with_dense(client, dataset):
    """Verifies that the sparse layout holds exactly the dense matrix's votes (label + 1, 0 = abstain), in
    every scipy format, and that a bad layout fails clearly."""
    job = client.apply("scale_reviews", word_lfs(lambda i: ["HAM", "SPAM"][i % 2]), labels=corpus.LABELS, wait=False)
    dense = client.labels(job).to_numpy()
    expected = np.column_stack([corpus.keyword(dataset["text"].astype("string"), [w], i % 2)
                                for i, w in enumerate(WORDS)])
    np.testing.assert_array_equal(dense, expected)
    for fmt in ("csr", "csc", "coo"):
        m = client.labels(job, layout="sparse", format=fmt)
        assert m.format == fmt and m.shape == dense.shape
        assert m.nnz == int((dense >= 0).sum()) > 0
        np.testing.assert_array_equal(m.toarray() - 1, dense)
    with pytest.raises(ValueError):
        client.labels(job, layout="diagonal")
    with pytest.raises(lf.InvalidRequest, match="layout=dense or \\?layout=sparse"):
        list(client._stream(f"labels/{job.id}?layout=diagonal"))


def test_three_hundred_classes_give_int16_labels(client, dataset):
    """Verifies that a 300-class job streams int16 columns holding class indexes above 127, dense and sparse."""
    classes = [f"c{i}" for i in range(300)]
    label_index = [(i * 53 + 120) % 300 for i in range(len(WORDS))]
    L = client.apply("scale_reviews", word_lfs(lambda i: classes[label_index[i]]), labels=classes)
    assert all(str(t) == "int16" for t in L.dtypes)
    text = dataset["text"].astype("string")
    # corpus.keyword votes int8: take its mask and put the wide class index in.
    expected = np.column_stack([np.where(corpus.keyword(text, [w], 1) >= 0, label_index[i], -1)
                                for i, w in enumerate(WORDS)]).astype(np.int16)
    np.testing.assert_array_equal(L.to_numpy(), expected)
    assert expected.max() > 127
    m = client.labels(L, layout="sparse")
    assert m.dtype == np.int16
    np.testing.assert_array_equal(m.toarray() - 1, expected)


def test_multi_label_job_votes_signs_per_class(client, dataset):
    """Verifies that a multi-label job stores 1 (positive), 0 (negative) and -1 per LF, reports multiLabel
    and each LF's class, and refuses a bad vote."""
    classes = ["electronics", "complaint", "spam", "praise"]
    klass = [i % 4 for i in range(len(WORDS))]
    lfs = word_lfs(lambda i: classes[klass[i]], lambda i: "negative" if i % 3 == 0 else "positive")
    job = client.apply("scale_reviews", lfs, labels=classes, multi_label=True, wait=False)
    L = job.to_pandas()
    status = job.status()
    assert status["multiLabel"] is True and status["lfClasses"] == klass
    text = dataset["text"].astype("string")
    expected = np.column_stack([corpus.keyword(text, [w], 0 if i % 3 == 0 else 1) for i, w in enumerate(WORDS)])
    np.testing.assert_array_equal(L.to_numpy(), expected)
    assert set(np.unique(expected)) == {-1, 0, 1}
    np.testing.assert_array_equal(job.to_sparse().toarray() - 1, expected)
    bad = word_lfs(lambda i: classes[0], lambda i: "sideways")
    with pytest.raises(lf.InvalidLF, match="'vote' must be 'positive' or 'negative'"):
        client.apply("scale_reviews", bad, labels=classes, multi_label=True)
