"""Issue 23: the LF set and the dev set are shared with the web page. The page saves LF sets over the event
bus and hand labels rows there; these tests save and read the same stores over Flight, as the page's bus
requests do (the browser test walks the page itself and checks Python sees its LF set and dev labels)."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import LABELS


def test_lfset_versions_name_who_saved_and_refuse_stale_saves(client, name):
    """Verifies that saves make versions with user and client, that a save based on an old version is
    refused, and that the history says what changed."""
    client.upload(corpus.reviews(300, seed=1), name, progress=False)
    assert client.lfset(name) is None
    first = client.save_lfset(name, [lf.keyword("kw", ["free money"], label="SPAM")], labels=LABELS, base_version=0)
    assert (first.version, first.user, first.source) == (1, "dev", "python")
    assert first.lfs == [lf.keyword("kw", ["free money"], label="SPAM").to_dict()]
    stale = client.lfset(name)
    current = client.lfset(name)
    current.add(lf.regex("url", r"https?://", label="SPAM"))
    second = current.save()
    assert second.version == 2 and second.changes == {"added": ["url"]}
    stale.gold = "gold"
    with pytest.raises(lf.AlreadyExists, match="version 2 was saved by dev \\(python\\)"):
        stale.save()
    assert client.lfset(name).version == 2
    assert stale.save(force=True).version == 3
    history = client.lfset_history(name)
    assert list(history.index) == [3, 2, 1]
    assert history.loc[3, "changes"] == {"removed": ["url"], "gold": True}  # forced: the stale set wins
    assert list(history["source"]) == ["python"] * 3
    assert client.lfset(name, version=1).names == ["kw"]
    L = client.lfset(name).apply()
    assert list(L.columns) == ["kw"]


def test_dev_set_is_aligned_to_the_frames_index_and_is_gold(client, name):
    """Verifies that hand labels given by the uploaded frame's (shuffled, string) index come back on the same
    rows, that None removes one, and that analysis with gold "@dev" counts exactly the labelled rows."""
    df = corpus.reviews(2000, seed=4)
    df.index = pd.Index([f"k{i:04d}" for i in np.random.default_rng(5).permutation(len(df))], name="key")
    df = df.sample(frac=1, random_state=6)
    client.upload(df, name, progress=False)
    picked = df.sample(40, random_state=7)
    gold = pd.Series(np.where(picked["gold"] == 1, "SPAM", "HAM"), index=picked.index, dtype=object)
    ack = client.label_dev(name, gold)
    assert (ack["count"], ack["changed"]) == (40, 40)
    dev = client.dev_set(name)
    assert dev.index.name == "key"
    pd.testing.assert_series_equal(dev["label"].sort_index(), gold.sort_index().rename("label"), check_names=False)
    client.label_dev(name, {picked.index[0]: None})
    assert len(client.dev_set(name)) == 39
    with pytest.raises(KeyError, match="not in"):
        client.label_dev(name, {"nope": "HAM"})

    kw = lf.keyword("kw", ["free money", "winner"], label="SPAM")
    L = client.apply(name, [kw], labels=LABELS)
    summary = client.analysis(L, gold=lf.DEV_GOLD)
    assert summary.attrs["rows"] == 39
    labelled = df.loc[client.dev_set(name).index]
    votes = corpus.keyword(labelled["text"].astype("string"), ["free money", "winner"], 1)
    truth = np.where(client.dev_set(name)["label"].loc[labelled.index] == "SPAM", 1, 0)
    assert summary.loc["kw", "Correct"] == int(((votes == 1) & (truth == 1)).sum())
    assert summary.loc["kw", "Incorrect"] == int(((votes == 1) & (truth == 0)).sum())


def test_dev_labels_refuse_rows_and_users_they_do_not_belong_to(client, server, name):
    """Verifies that a dev label for a row id outside the dataset is refused and stores nothing."""
    client.upload(pd.DataFrame({"text": ["a", "b", "c"]}), name, progress=False)
    with pytest.raises(lf.InvalidRequest, match="row 7 is not a row"):
        client.label_dev(name, {7: "HAM"})
    assert len(client.dev_set(name)) == 0
