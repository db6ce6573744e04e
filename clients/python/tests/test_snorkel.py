"""Issue 19.8: Snorkel as it is. L.to_numpy() feeds Snorkel's LFAnalysis and LabelModel unchanged, and
c.apply takes Snorkel LabelingFunctions that carry an LF (LF.to_snorkel), refusing other Python functions
clearly."""

import numpy as np
import pytest

import labelflight as lf
import corpus
from corpus import LABELS

snorkel_labeling = pytest.importorskip("snorkel.labeling")


def _lfs():
    return [lf.keyword("kw", ["free money", "click here", "winner"], label="SPAM"),
            lf.keyword("free", ["FREE"], whole_word=True, label="SPAM"),
            lf.regex("url", r"https?://\w+", label="SPAM"),
            lf.numeric("low", "stars", "<=", 1, label="SPAM"),
            lf.numeric("mid", "stars", "between", min=3, max=4, label="HAM"),
            lf.categorical("src", "source", ["forum", "sms"], label="SPAM")]


@pytest.fixture(scope="module")
def dataset(client):
    df = corpus.reviews(1500, seed=41).sample(frac=1, random_state=4)
    client.upload(df, "snorkel_reviews", progress=False)
    return df


def test_snorkel_lfs_run_on_the_server_and_in_snorkel_alike(client, dataset):
    """Verifies that LF.to_snorkel objects give the same L through c.apply as through Snorkel's own
    PandasLFApplier, and as the plain LFs (a lone LF needs no list)."""
    snorkel_lfs = [x.to_snorkel(LABELS) for x in _lfs()]
    assert all(isinstance(s, snorkel_labeling.LabelingFunction) for s in snorkel_lfs)
    L = client.apply("snorkel_reviews", snorkel_lfs, labels=LABELS)
    assert list(L.columns) == [x.name for x in _lfs()]
    local = snorkel_labeling.PandasLFApplier(snorkel_lfs).apply(dataset, progress_bar=False)
    np.testing.assert_array_equal(L.to_numpy(), local)
    np.testing.assert_array_equal(L.to_numpy(), client.apply("snorkel_reviews", _lfs(), labels=LABELS).to_numpy())
    one = client.apply("snorkel_reviews", snorkel_lfs[0], labels=LABELS)
    np.testing.assert_array_equal(one["kw"].to_numpy(), local[:, 0])


def test_python_functions_are_refused_naming_them(client, dataset):
    """Verifies that on a node without Python LFs a Snorkel LF over Python code and a plain function are
    refused when the job is submitted, with InvalidLF naming the LF (not a TypeError, not a failed job)."""
    @snorkel_labeling.labeling_function()
    def lf_short(x):
        return 0 if len(x.text or "") < 10 else -1

    with pytest.raises(lf.InvalidLF, match=r"LF 'lf_short' \(python\): Python LFs are not enabled") as e:
        client.apply("snorkel_reviews", [lf_short], labels=LABELS)
    assert e.value.lf == "lf_short"
    with pytest.raises(lf.InvalidLF, match=r"LF 'plain' \(python\)"):
        def plain(row):
            return -1
        client.apply("snorkel_reviews", plain, labels=LABELS)


def test_label_matrix_feeds_snorkel_unchanged(client, dataset):
    """Verifies that L.to_numpy() goes into Snorkel's LFAnalysis and (where torch is installed) LabelModel
    as it is, and that the server's summary equals Snorkel's."""
    L = client.apply("snorkel_reviews", _lfs(), labels=LABELS)
    gold = dataset["gold"].to_numpy()
    theirs = snorkel_labeling.LFAnalysis(L.to_numpy()).lf_summary(gold)
    ours = client.analysis(L, gold="gold")
    np.testing.assert_allclose(ours["Coverage"].to_numpy(), theirs["Coverage"].to_numpy())
    np.testing.assert_array_equal(ours["Correct"].to_numpy(), theirs["Correct"].to_numpy())
    pytest.importorskip("torch", reason="Snorkel's LabelModel needs torch (the pandas 2 environment has it)")
    from snorkel.labeling.model import LabelModel
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L.to_numpy(), n_epochs=100, seed=0)
    assert model.predict(L.to_numpy()).shape == (len(L),)
