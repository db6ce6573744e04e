"""Label models as stored artifacts (issue 21) through the real server: every kind, auto with dev gold,
export/import, prediction on another dataset aligned to its frame, and numpy-only offline prediction equal to
the server's."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import labelflight as lf
import corpus
from corpus import LABELS

LFS = [
    lf.keyword("kw_spam", ["free money", "click here", "winner"], label="SPAM"),
    lf.regex("re_url", r"https?://", label="SPAM"),
    lf.numeric("low_stars", "stars", "<=", 1, label="SPAM"),
    lf.numeric("high_stars", "stars", ">=", 4, label="HAM"),
    lf.keyword("kw_ham", ["works great", "battery", "arrived"], label="HAM"),
    lf.numeric("cheap", "price", "<", 15, label="HAM"),
]
KINDS = ["majority", "weighted-majority", "dawid-skene", "generative", "snorkel", "triplet"]


@pytest.fixture(scope="module")
def trained(client):
    train = corpus.reviews(3000, seed=21).sample(frac=1.0, random_state=3)
    fresh = corpus.reviews(1500, seed=22).sample(frac=1.0, random_state=4)
    fresh.index = [f"r{i}" for i in range(len(fresh))]
    client.upload(train, "lm_train", progress=False)
    client.upload(fresh, "lm_fresh", progress=False)
    return train, fresh, client.apply("lm_train", LFS, labels=LABELS), client.apply("lm_fresh", LFS, labels=LABELS)


@pytest.mark.parametrize("kind", KINDS)
def test_offline_predict_equals_server(client, trained, kind):
    """Verifies that every kind's exported document predicts offline with numpy exactly as the server does."""
    _, fresh, L, L2 = trained
    model = client.fit_label_model(L, kind, name=f"lm_{kind}", tie_policy="random", seed=7)
    assert model.id == f"lm_{kind}@v{model.version}"
    offline = model.offline()
    server = model.predict_proba(L2)
    local = offline.predict_proba(L2)
    np.testing.assert_allclose(local, server[LABELS].to_numpy(), rtol=0, atol=1e-6)  # server streams float32
    exact = lf.OfflineLabelModel(model.to_dict()).predict_proba(L2.to_numpy())
    np.testing.assert_array_equal(exact, local)
    # L2's rows are in row-id order, which is what tie policy "random" keys on offline by default.
    np.testing.assert_array_equal(offline.predict(L2), model.predict(L2).to_numpy())


def test_predict_on_another_dataset_is_aligned(client, trained):
    """Verifies that a model fitted on one dataset predicts on another's job, indexed like that frame."""
    _, fresh, L, L2 = trained
    model = client.fit_label_model(L, "generative", name="lm_align")
    pred = model.predict(L2)
    pd.testing.assert_index_equal(pred.index, L2.index)
    fresh["pred"] = pred
    assert fresh["pred"].notna().all()


def test_auto_with_dev_gold_and_export_import(client, trained, tmp_path):
    """Verifies auto selection on a gold column, the candidates table, and that a saved file imports back
    as a new model that predicts the same."""
    _, _, L, L2 = trained
    model = client.fit_label_model(L, "auto", gold="gold", name="lm_auto")
    table = model.candidates()
    assert set(KINDS) <= set(table.index)
    assert model.selection["supervised"]
    assert table["devAccuracy"].max() == pytest.approx(table.loc[model.kind, "devAccuracy"])
    path = tmp_path / "model.json"
    model.save(path)
    assert json.loads(path.read_text())["format"] == "labelflight.labelmodel/1"
    copy = client.import_model(path, name="lm_copy")
    assert copy.id == "lm_copy@v1"
    pd.testing.assert_frame_equal(copy.predict_proba(L2), model.predict_proba(L2))
    assert "lm_copy" in client.models().index
    assert copy.delete() == [1]
    with pytest.raises(lf.NotFound):
        client.model("lm_copy")


def test_wrong_lfs_and_warnings(client, trained):
    """Verifies that predicting on a job without the model's LFs names the LF, and that a degenerate model's
    diagnostics arrive as a LabelModelWarning."""
    train, _, L, _ = trained
    model = client.fit_label_model(L, "majority", name="lm_lfs")
    other = client.apply("lm_train", LFS[:3], labels=LABELS)
    with pytest.raises(lf.InvalidRequest) as info:
        model.predict(other)
    assert "high_stars" in str(info.value)
    one_sided = client.apply("lm_train", [lf.numeric("everyone", "stars", ">=", 0, label="HAM")] + LFS[:2],
                             labels=LABELS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.fit_label_model(one_sided, "majority", name="lm_skewed")
    assert any(issubclass(w.category, lf.LabelModelWarning) and "'HAM'" in str(w.message) for w in caught)
