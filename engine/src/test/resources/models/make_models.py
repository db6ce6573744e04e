#!/usr/bin/env python3
"""Builds the ONNX test models committed beside this script (the tests never run it).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-learn skl2onnx onnx
    /tmp/venv/bin/python engine/src/test/resources/models/make_models.py

- emb_spam.onnx: logistic regression on 8-float vectors (input "input", float [N, 8]) trained on
  Gaussian clouds around ReviewsGenerator.HAM_CENTER / SPAM_CENTER; outputs "label" int64 [N] and
  "probabilities" float [N, 2]. emb_spam.json holds its coefficients for the tests' naive reference.
- text_spam.onnx: TF-IDF + logistic regression on text (input "input", string [N, 1]) trained on
  sentences from ReviewsGenerator's word lists; same outputs. No lower-casing: ONNX Runtime's
  StringNormalizer needs an en_US.UTF-8 locale that test machines may lack.
Fixed seeds: the same scikit-learn version gives the same files.
"""
import json
import os

import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
HAM_CENTER = [1.0, 0.5, 0.0, 0.0, -0.5, 0.0, 0.2, 0.0]
SPAM_CENTER = [-0.5, 0.5, 1.5, 0.0, 0.5, -1.0, 0.2, 0.8]
WORDS = ("the product works great battery life is good bad quality shipping was fast slow would buy again "
         "not recommend love it terrible screen sound price value for money box arrived broken return support "
         "helpful easy to use setup size fits well color nice cheap feels solid after week month stopped "
         "working excellent happy with purchase okay but expected more").split()
SPAM = ["free money", "click here", "winner", "free gift card", "limited offer", "act now",
        "congratulations you won", "http://deals.example.com/x"]


def vector_model(rng):
    n = 2000
    y = rng.integers(0, 2, n)
    centers = np.where(y[:, None] == 1, np.array(SPAM_CENTER), np.array(HAM_CENTER))
    x = (centers + rng.normal(size=(n, 8))).astype(np.float32)
    clf = LogisticRegression(max_iter=1000).fit(x, y)
    onx = to_onnx(clf, initial_types=[("input", FloatTensorType([None, 8]))],
                  options={id(clf): {"zipmap": False}}, target_opset=17)
    with open(os.path.join(HERE, "emb_spam.onnx"), "wb") as f:
        f.write(onx.SerializeToString())
    with open(os.path.join(HERE, "emb_spam.json"), "w") as f:
        json.dump({"coef": clf.coef_[0].tolist(), "intercept": float(clf.intercept_[0])}, f, indent=1)


def text_model(rng):
    texts, labels = [], []
    for _ in range(1500):
        spam = rng.random() < 0.3
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), rng.integers(8, 30))]
        if spam:
            for _ in range(rng.integers(1, 4)):
                words.insert(int(rng.integers(0, len(words))), SPAM[rng.integers(0, len(SPAM))])
        texts.append(" ".join(words))
        labels.append(int(spam))
    pipe = Pipeline([("tfidf", TfidfVectorizer(lowercase=False)), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(texts, labels)
    onx = to_onnx(pipe, initial_types=[("input", StringTensorType([None, 1]))],
                  options={id(pipe.steps[1][1]): {"zipmap": False}}, target_opset=17)
    with open(os.path.join(HERE, "text_spam.onnx"), "wb") as f:
        f.write(onx.SerializeToString())


if __name__ == "__main__":
    vector_model(np.random.default_rng(7))
    text_model(np.random.default_rng(11))
