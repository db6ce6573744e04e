"""Authentication and isolation as a Python user sees them."""

from __future__ import annotations

import pandas as pd
import pytest

import labelflight as lf
from conftest import OTHER_TOKEN, TOKEN


def test_missing_token_is_unauthenticated(server):
    """Verifies that connecting without a token fails at once with Unauthenticated saying what to send."""
    with pytest.raises(lf.Unauthenticated, match="authorization: Bearer"):
        lf.connect(server.location)


def test_wrong_token_is_unauthenticated(server):
    """Verifies that a wrong token fails with Unauthenticated, on connect and on a later call."""
    with pytest.raises(lf.Unauthenticated, match="invalid bearer token"):
        lf.connect(server.location, token=TOKEN + "x")
    with lf.connect(server.location, token="nope", check=False) as c:
        with pytest.raises(lf.Unauthenticated):
            c.datasets()


def test_other_user_cannot_see_or_touch_my_dataset(client, server, name):
    """Verifies that another user neither lists nor reads, applies to or drops my dataset (NotFound, worded
    as for a name that does not exist), and can have a dataset of the same name."""
    client.upload(pd.DataFrame({"text": ["free money", "hello"], "stars": [1, 5]}), name)
    with lf.connect(server.location, token=OTHER_TOKEN) as bob:
        assert name not in list(bob.datasets()["name"])
        with pytest.raises(lf.NotFound) as absent:
            bob.download(name + "_absent")
        with pytest.raises(lf.NotFound) as hidden:
            bob.download(name)
        assert str(hidden.value).replace(name, "NAME") == str(absent.value).replace(name + "_absent", "NAME")
        with pytest.raises(lf.NotFound):
            bob.apply(name, [lf.keyword("kw", ["free"], label="SPAM")], labels=["HAM", "SPAM"])
        with pytest.raises(lf.NotFound):
            bob.drop_dataset(name)
        bob.upload(pd.DataFrame({"text": ["x", "y", "z"], "stars": [1, 2, 3]}), name)
        assert len(bob.download(name)) == 3
    assert len(client.download(name)) == 2
