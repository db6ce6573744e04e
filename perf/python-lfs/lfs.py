"""The LFs of the Python-LF benchmark, in Snorkel's spam-tutorial styles (keywords, regex, a TextBlob
polarity/subjectivity preprocessor, short-comment heuristics), written as a Snorkel user writes them: this file
runs unchanged in Snorkel's PandasLFApplier and through labelflight's Client.apply."""
import re

import numpy as np
from snorkel.labeling import labeling_function
from snorkel.preprocess import preprocessor
from textblob import TextBlob

ABSTAIN, HAM, SPAM = -1, 0, 1


def keyword_lookup(x, keywords, label):
    if any(word in x.text.lower() for word in keywords):
        return label
    return ABSTAIN


@labeling_function(resources=dict(keywords=["my"], label=SPAM))
def keyword_my(x, keywords, label):
    return keyword_lookup(x, keywords, label)


@labeling_function(resources=dict(keywords=["subscribe"], label=SPAM))
def keyword_subscribe(x, keywords, label):
    return keyword_lookup(x, keywords, label)


@labeling_function(resources=dict(keywords=["http"], label=SPAM))
def keyword_link(x, keywords, label):
    return keyword_lookup(x, keywords, label)


@labeling_function(resources=dict(keywords=["please", "plz"], label=SPAM))
def keyword_please(x, keywords, label):
    return keyword_lookup(x, keywords, label)


@labeling_function(resources=dict(keywords=["song"], label=HAM))
def keyword_song(x, keywords, label):
    return keyword_lookup(x, keywords, label)


@labeling_function()
def regex_check_out(x):
    return SPAM if re.search(r"check.*out", x.text, flags=re.I) else ABSTAIN


@labeling_function()
def short_comment(x):
    """Ham comments are often short, such as 'cool video!'"""
    return HAM if len(x.text.split()) < 5 else ABSTAIN


@preprocessor(memoize=True)
def textblob_sentiment(x):
    scores = TextBlob(x.text)
    x.polarity = scores.sentiment.polarity
    x.subjectivity = scores.sentiment.subjectivity
    return x


@labeling_function(pre=[textblob_sentiment])
def textblob_polarity(x):
    return HAM if x.polarity > 0.9 else ABSTAIN


@labeling_function(pre=[textblob_sentiment])
def textblob_subjectivity(x):
    return HAM if x.subjectivity >= 0.5 else ABSTAIN


TUTORIAL = [keyword_my, keyword_subscribe, keyword_link, keyword_please, keyword_song, regex_check_out,
            short_comment, textblob_polarity, textblob_subjectivity]
NO_TEXTBLOB = TUTORIAL[:7]


# The same logic as row LFs and as batch LFs (one call per chunk), for the batch-vs-row comparison.
def row_link(x):
    return SPAM if "http" in x.text.lower() else ABSTAIN


def row_short(x):
    return HAM if len(x.text.split()) < 5 else ABSTAIN


def batch_link(df):
    return np.where(df.text.str.lower().str.contains("http", regex=False), SPAM, ABSTAIN)


def batch_short(df):
    return np.where(df.text.str.split().str.len() < 5, HAM, ABSTAIN)


class BigModel:
    """A stand-in for a large model a preprocessor loads: ``size_mib`` of float64 weights built when unpickled
    (as a model is loaded from disk), so the template process holds them and its forked workers share them."""

    def __init__(self, size_mib):
        self.size_mib = size_mib
        self.weights = np.random.default_rng(0).random(size_mib * (1 << 20) // 8)

    def __reduce__(self):
        return BigModel, (self.size_mib,)

    def score(self, text):
        return float(self.weights[hash(len(text)) % 1000])


def big_model_lf(size_mib):
    model = BigModel(size_mib)

    @labeling_function(resources=dict(model=model))
    def uses_big_model(x, model):
        return SPAM if model.score(x.text) > 2.0 else ABSTAIN
    return uses_big_model
