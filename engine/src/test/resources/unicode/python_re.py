#!/usr/bin/env python3
"""The Python `re` reference for keyword and regex LFs over str (UnicodeWordsTest).

    python_re.py CASES.json  ->  prints [[0|1 per row] per LF] as JSON

CASES.json: {"rows": [str | null], "lfs": [{"kind": "keyword", "keyword", "caseSensitive", "wholeWord"} |
{"kind": "regex", "pattern", "caseSensitive", "full"}]}. A keyword LF is re.escape(keyword), wrapped in
(?<!\\w)...(?!\\w) for wholeWord; IGNORECASE unless caseSensitive. Null rows abstain (0).
"""
import json
import re
import sys


def compiled(lf):
    flags = 0 if lf["caseSensitive"] else re.IGNORECASE
    if lf["kind"] == "keyword":
        pattern = re.escape(lf["keyword"])
        if lf["wholeWord"]:
            pattern = r"(?<!\w)" + pattern + r"(?!\w)"
        return re.compile(pattern, flags), False
    return re.compile(lf["pattern"], flags), lf.get("full", False)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for lf in cases["lfs"]:
        rx, full = compiled(lf)
        test = rx.fullmatch if full else rx.search
        out.append([0 if row is None else int(test(row) is not None) for row in cases["rows"]])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
