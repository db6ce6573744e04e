"""LF builders serialize to exactly the JSON that DESIGN.md "Labeling functions" specifies (no server needed)."""

import json

import numpy as np
import pytest

import labelflight as lf


@pytest.mark.parametrize("built, expected", [
    (lf.keyword("kw_free", ["free", "winner"], label="SPAM", whole_word=True),
     {"name": "kw_free", "kind": "keyword", "column": "text", "keywords": ["free", "winner"],
      "caseSensitive": False, "wholeWord": True, "label": "SPAM"}),
    (lf.regex("re_url", "https?://", label="SPAM", case_sensitive=False),
     {"name": "re_url", "kind": "regex", "column": "text", "pattern": "https?://", "caseSensitive": False,
      "match": "anywhere", "label": "SPAM"}),
    (lf.numeric("short", "length", "<", 20, label="HAM"),
     {"name": "short", "kind": "numeric", "column": "length", "op": "<", "value": 20, "label": "HAM"}),
    (lf.numeric("mid", "stars", "between", min=2, max=4, label="HAM"),
     {"name": "mid", "kind": "numeric", "column": "stars", "op": "between", "min": 2, "max": 4, "label": "HAM"}),
    (lf.categorical("src", "source", ["forum", "sms"], label="SPAM"),
     {"name": "src", "kind": "categorical", "column": "source", "values": ["forum", "sms"], "label": "SPAM"}),
    (lf.expr("rule", "size(text) > 200 && stars < 2", label="SPAM"),
     {"name": "rule", "kind": "expression", "expr": "size(text) > 200 && stars < 2", "label": "SPAM"}),
    (lf.similarity("near", "emb", np.array([0.1, 0.3], dtype=np.float32), 0.8, label="SPAM"),
     {"name": "near", "kind": "similarity", "column": "emb", "query": [pytest.approx(0.1), pytest.approx(0.3)],
      "threshold": 0.8, "label": "SPAM"}),
    (lf.model("clf", "text", "spam.onnx", 0.7, label="SPAM", class_index=1),
     {"name": "clf", "kind": "model", "column": "text", "model": "spam.onnx", "class": 1, "threshold": 0.7,
      "label": "SPAM"}),
])
def test_builders_match_design_json(built, expected):
    """Verifies that each builder yields the DESIGN.md JSON object and that it survives json round trips."""
    assert built.to_dict() == expected
    assert json.loads(built.to_json()) == expected
    assert lf.LF.from_dict(built.to_dict()) == built


def test_expression_without_label_returns_class_itself():
    """Verifies that an expression LF may leave out its label (it then returns a class index)."""
    assert lf.expr("cls", "stars < 2 ? 1 : -1").to_dict() == {"name": "cls", "kind": "expression",
                                                              "expr": "stars < 2 ? 1 : -1"}


def test_single_keyword_string_becomes_a_list():
    """Verifies that a lone keyword string is not split into characters."""
    assert lf.keyword("k", "free money", label="SPAM").fields["keywords"] == ["free money"]


@pytest.mark.parametrize("make, error", [
    (lambda: lf.keyword("k", [], label="SPAM"), ValueError),
    (lambda: lf.keyword("k", ["ok", ""], label="SPAM"), ValueError),
    (lambda: lf.keyword("", ["x"], label="SPAM"), ValueError),
    (lambda: lf.keyword("k", ["x"], label=None), ValueError),
    (lambda: lf.keyword("k", ["x"], label=1.5), TypeError),
    (lambda: lf.regex("r", "", label="SPAM"), ValueError),
    (lambda: lf.numeric("n", "stars", "~", 3, label="HAM"), ValueError),
    (lambda: lf.numeric("n", "stars", "<", label="HAM"), ValueError),
    (lambda: lf.numeric("n", "stars", "between", min=1, label="HAM"), ValueError),
    (lambda: lf.numeric("n", "stars", "<", "3", label="HAM"), TypeError),
    (lambda: lf.similarity("s", "emb", [], 0.5, label="SPAM"), ValueError),
    (lambda: lf.model("m", "text", "", 0.5, label="SPAM"), ValueError),
    (lambda: lf.LF.from_dict({"kind": "keyword"}), ValueError),
])
def test_builders_reject_malformed_arguments(make, error):
    """Verifies that obviously malformed LFs fail in Python before reaching the server."""
    with pytest.raises(error):
        make()
