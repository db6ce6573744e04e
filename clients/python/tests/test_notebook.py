"""Issue 19.9: the notebook pipeline end to end. A shuffled DataFrame -> upload -> LFs -> analysis with gold ->
label model -> df["pred"] = ... -> accuracy, equal to the same pipeline computed locally on the same L (Snorkel's
MajorityLabelVoter and LabelModel where torch is installed, numpy otherwise)."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import LABELS


def local_majority(L: np.ndarray, classes: int = 2) -> np.ndarray:
    """Snorkel's MajorityLabelVoter.predict with tie_break_policy="abstain", in numpy."""
    counts = np.stack([(L == c).sum(axis=1) for c in range(classes)], axis=1)
    top = counts.max(axis=1, keepdims=True)
    winners = (counts == top).sum(axis=1)
    return np.where((winners > 1) | (top[:, 0] == 0), -1, counts.argmax(axis=1))


def test_notebook_pipeline_matches_local(client, name):
    """Verifies the whole notebook flow on a shuffled, filtered frame with a string index: the server's LF
    summary equals Snorkel's, df["pred"] from the majority model equals the local majority vote row for row
    (so the accuracies are equal), and the generative model's accuracy is Snorkel LabelModel's within 0.03."""
    df = corpus.reviews(4000, seed=51)
    df = df[df["price"] > 5].sample(frac=1, random_state=7)
    df.index = pd.Index([f"mail-{i}" for i in df.index], name="mail")
    client.upload(df, name, progress=False)
    lfs = [
        lf.keyword("kw_spam", ["free money", "click here", "winner", "limited offer"], label="SPAM"),
        lf.regex("re_url", r"https?://", label="SPAM"),
        lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
        lf.numeric("high_stars", "stars", ">=", 4, label="HAM"),
        lf.keyword("kw_ham", ["works great", "battery", "arrived", "sturdy"], label="HAM"),
        lf.categorical("sms", "source", ["sms"], label="SPAM"),
    ]
    L = client.apply(name, lfs, labels=LABELS)
    gold = df["gold"].to_numpy()

    from snorkel.labeling import LFAnalysis
    summary = client.analysis(L, gold="gold")
    theirs = LFAnalysis(L.to_numpy()).lf_summary(gold)
    for column in ["Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect"]:
        np.testing.assert_allclose(summary[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float))

    model = client.fit_label_model(L, "majority", tie_policy="abstain")
    df["pred"] = model.predict()
    local = local_majority(L.to_numpy())
    try:
        from snorkel.labeling.model import MajorityLabelVoter
        local = MajorityLabelVoter(cardinality=2).predict(L.to_numpy(), tie_break_policy="abstain")
        snorkel = True
    except ImportError:  # Snorkel's models need torch, which only the pandas 2 environment has
        snorkel = False
    np.testing.assert_array_equal(df["pred"].to_numpy(), local)
    accuracy = (df["pred"] == df["gold"]).mean()
    assert accuracy == pytest.approx((local == gold).mean())
    assert accuracy > 0.5

    generative = client.fit_label_model(L, "generative", seed=0, epochs=500)
    df["pred_gen"] = generative.predict()
    covered = (L.to_numpy() != -1).any(axis=1)
    ours = (df["pred_gen"].to_numpy()[covered] == gold[covered]).mean()
    assert ours > 0.7
    if snorkel:
        from snorkel.labeling.model import LabelModel
        label_model = LabelModel(cardinality=2, verbose=False)
        label_model.fit(L.to_numpy(), n_epochs=500, seed=0, log_freq=500)
        theirs = (label_model.predict(L.to_numpy(), tie_break_policy="abstain")[covered] == gold[covered]).mean()
        assert ours == pytest.approx(theirs, abs=0.03)
