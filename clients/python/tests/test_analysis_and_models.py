"""analysis, fit_label_model and predict_proba against the real server, per the BRIEF's shared contracts.

All of them are on the server, so an unknown action fails these tests."""

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import HAM, LABELS, SPAM

SNORKEL_COLUMNS = ["Polarity", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect", "Emp. Acc."]


@pytest.fixture(scope="module")
def labeled(client):
    """A dataset with a gold column and a label matrix of LFs that agree, overlap and conflict."""
    df = corpus.reviews(2600, seed=11)
    client.upload(df, "analysis_reviews", progress=False)
    lfs = [
        lf.keyword("kw_spam", ["free money", "click here", "winner"], label="SPAM"),
        lf.regex("re_url", r"https?://", label="SPAM"),
        lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
        lf.numeric("high_stars", "stars", ">=", 4, label="HAM"),
        lf.keyword("kw_ham", ["works great", "battery", "arrived"], label="HAM"),
        lf.numeric("cheap", "price", "<", 15, label="HAM"),
    ]
    L = client.apply("analysis_reviews", lfs, labels=LABELS)
    return df, L


def call(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def reference_summary(L: np.ndarray, gold: np.ndarray) -> pd.DataFrame:
    """Snorkel's LFAnalysis definitions written out in numpy."""
    voted = L != -1
    votes_per_row = voted.sum(axis=1)
    conflicted_row = np.array([len(set(r[r != -1])) > 1 for r in L])
    correct = (voted & (L == gold[:, None])).sum(axis=0)
    incorrect = (voted & (L != gold[:, None])).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = correct / (correct + incorrect)
    return pd.DataFrame({
        "Polarity": [sorted(int(x) for x in np.unique(c[c != -1])) for c in L.T],
        "Coverage": voted.mean(axis=0),
        "Overlaps": (voted & (votes_per_row > 1)[:, None]).mean(axis=0),
        "Conflicts": (voted & conflicted_row[:, None]).mean(axis=0),
        "Correct": correct, "Incorrect": incorrect, "Emp. Acc.": acc,
    })


def test_analysis_matches_snorkel_definitions(client, labeled):
    """Verifies every column of the server's LF summary against Snorkel's definitions on the same matrix."""
    df, L = labeled
    summary = call(client.analysis, L, gold="gold")
    assert list(summary.index) == list(L.columns)
    assert summary["j"].tolist() == list(range(L.shape[1]))
    ref = reference_summary(L.to_numpy(), df["gold"].to_numpy())
    assert summary["Polarity"].tolist() == ref["Polarity"].tolist()
    for column in SNORKEL_COLUMNS[1:]:
        np.testing.assert_allclose(summary[column].to_numpy(dtype=float), ref[column].to_numpy(dtype=float),
                                   err_msg=column)
    voted = L.to_numpy() != -1
    assert summary.attrs["rows"] == len(L)
    assert summary.attrs["totals"]["coverage"] == pytest.approx(voted.any(axis=1).mean())
    assert summary.attrs["totals"]["overlap"] == pytest.approx((voted.sum(axis=1) > 1).mean())


def test_analysis_equals_snorkels_own_lf_summary(client, labeled):
    """Verifies that Snorkel's LFAnalysis on c.apply(...)'s matrix gives the summary c.analysis(...) gives."""
    df, L = labeled
    ours = call(client.analysis, L, gold="gold")
    # clients/python/bin/test installs Snorkel (without torch): a missing one is a set-up failure, not a skip.
    from snorkel.labeling import analysis
    theirs = analysis.LFAnalysis(L.to_numpy()).lf_summary(df["gold"].to_numpy())
    assert ours["Polarity"].tolist() == [sorted(int(p) for p in x) for x in theirs["Polarity"]]
    for column in SNORKEL_COLUMNS[1:]:
        np.testing.assert_allclose(ours[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float),
                                   err_msg=column)


def test_analysis_without_gold_has_no_accuracy_columns(client, labeled):
    """Verifies the gold-free summary: Snorkel's first five columns only, from a Job or a job id alike."""
    _, L = labeled
    job = L.attrs["labelflight_job"]
    summary = call(client.analysis, job)
    assert list(summary.columns) == ["j"] + SNORKEL_COLUMNS[:4]
    pd.testing.assert_frame_equal(summary, client.analysis(lf.Job(client, job, LABELS, list(L.columns))))


def test_analysis_errors(client, labeled):
    """Verifies errors: unknown job, unknown gold column, and a DataFrame that is no label matrix."""
    call(client.analysis, labeled[1])
    with pytest.raises(lf.NotFound, match="feedbeef"):
        client.analysis("feedbeef")
    with pytest.raises(lf.InvalidRequest, match="no_such_column"):
        client.analysis(labeled[1], gold="no_such_column")
    with pytest.raises(lf.InvalidRequest, match="does not come from Client.apply"):
        client.analysis(pd.DataFrame({"a": [1]}))


def majority_probs(L: np.ndarray, k: int) -> np.ndarray:
    """Snorkel's MajorityLabelVoter.predict_proba: ties share the mass, rows without votes are uniform."""
    counts = np.stack([(L == c).sum(axis=1) for c in range(k)], axis=1).astype(float)
    top = counts == counts.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def test_majority_model_probabilities(client, labeled):
    """Verifies the majority-vote model: reply fields and probabilities per Snorkel's majority voter."""
    _, L = labeled
    model = call(client.fit_label_model, L, "majority", tie_policy="abstain")
    assert isinstance(model, lf.LabelModel)
    assert model.classes == LABELS and model.job == L.attrs["labelflight_job"]
    assert len(model.weights) == L.shape[1] and len(model.class_balance) == 2
    probs = client.predict_proba(model)
    assert list(probs.columns) == LABELS and probs.index.tolist() == L.index.tolist()
    assert all(str(t) == "float32" for t in probs.dtypes)
    np.testing.assert_allclose(probs.to_numpy(), majority_probs(L.to_numpy(), 2), atol=1e-6)
    pd.testing.assert_frame_equal(model.predict_proba(), probs)
    predicted = model.predict()
    assert set(predicted.unique()) <= {-1, HAM, SPAM}


def test_generative_model_beats_chance(client, labeled):
    """Verifies the generative model: probabilities sum to one and its argmax agrees with gold most often."""
    df, L = labeled
    model = call(client.fit_label_model, L, "generative", seed=1, epochs=200)
    probs = model.predict_proba().to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    covered = (L.to_numpy() != -1).any(axis=1)
    accuracy = (probs.argmax(axis=1)[covered] == df["gold"].to_numpy()[covered]).mean()
    assert accuracy > 0.7


def test_label_model_errors(client, labeled):
    """Verifies errors: an unknown model kind, an unknown job, and a model id without its job."""
    call(client.fit_label_model, labeled[1], "majority")
    with pytest.raises(lf.InvalidRequest, match="'model' must be"):
        client.fit_label_model(labeled[1], "telepathic")
    with pytest.raises(lf.NotFound, match="feedbeef"):
        client.fit_label_model("feedbeef")
    with pytest.raises(lf.InvalidRequest, match="needs the job"):
        client.predict_proba("some-model-id")


def test_partial_fit_on_new_rows(client, labeled):
    """Verifies a partial fit through the client: a model of one half's rows, partially fitted on the other
    half's rows, gives LF weights within 0.03 of a fit on all rows, and a half-given partial fit is refused."""
    df, L = labeled
    lfs = [
        lf.keyword("kw_spam", ["free money", "click here", "winner"], label="SPAM"),
        lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
        lf.numeric("high_stars", "stars", ">=", 4, label="HAM"),
        lf.keyword("kw_ham", ["works great", "battery", "arrived"], label="HAM"),
    ]
    half = len(df) // 2
    client.upload(df.iloc[:half].reset_index(drop=True), "partial_first", progress=False)
    client.upload(df.iloc[half:].reset_index(drop=True), "partial_second", progress=False)
    first = client.apply("partial_first", lfs, labels=LABELS)
    second = client.apply("partial_second", lfs, labels=LABELS)
    whole = client.apply("analysis_reviews", lfs, labels=LABELS)
    base = client.fit_label_model(first, "generative")
    both = client.fit_label_model(second, "generative", base_model=base, partial_fit="rows")
    direct = client.fit_label_model(whole, "generative")
    np.testing.assert_allclose(both.weights, direct.weights, atol=0.03)
    with pytest.raises(lf.InvalidRequest, match="both"):
        client.fit_label_model(second, "generative", base_model=base)
