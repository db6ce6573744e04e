"""The peer benchmark's LF sets (issue 22), each LF written once per engine in that engine's own idiom.

Two sets over the same generated messages table (``data.py``):

- ``spam`` (23 LFs, HAM / SPAM): whole-word keyword lists, phrase keywords, a case-sensitive list,
  case-insensitive regexes with alternations and ``\\b``, literal-free regexes (phone number, money amount,
  run of capitals), a URL regex, numeric thresholds (one over a column with nulls), CEL ``size(text) < N``
  and a CEL conjunction, categorical values.
- ``support`` (20 LFs, BILLING / BUG / ACCOUNT / SHIPPING): the same kinds for ticket routing (error codes,
  version numbers, dates, invoice and tracking numbers, e-mail addresses, phrases with apostrophes).

Meaning (what every engine must reproduce): LabelFlight's documented semantics, which are Python ``re``'s
for str patterns: a keyword LF matches where ``re.search(re.escape(k), text, flags)`` does, with
``(?<!\\w)...(?!\\w)`` around it for ``wholeWord``; a regex LF where ``re.search(pattern, text)`` does. The
reference is therefore the client's own ``LF.to_snorkel`` (Python ``re``), which the Snorkel peer runs.
Polars (Rust ``regex``, Unicode ``\\b \\w \\d`` like Python) takes the patterns as they are, with ``(?i)`` for
case-insensitive ones, and ``str.contains_any`` (Aho-Corasick, ASCII case folding) for keyword lists.
DuckDB's regexes are RE2, whose ``\\b \\w \\d`` are ASCII only: its forms spell Python's meaning out
(``\\b`` next to a word character as ``(?:^|[^\\pL\\pN_])`` before and ``(?:$|[^\\pL\\pN_])`` after, which is
exact for a yes/no match; ``\\d`` as ``\\p{Nd}``), and its keyword lists test ``contains(lower(text), k)``.
Known divergences the text cannot trigger are listed in ``README``/RESULTS (ASCII vs Unicode folding of
the Kelvin sign or long s, combining marks in Rust's ``\\w``).
"""
import re

TEXT = "text"
# A word character as Python's \w for str (letters, numbers, '_'), in RE2 syntax for DuckDB.
_W = r"[\pL\pN_]"
_BEFORE = rf"(?:^|[^\pL\pN_])"
_AFTER = rf"(?:$|[^\pL\pN_])"


def _esc(s):
    """Escapes regex metacharacters only (a form Python re, Rust regex and RE2 all read the same)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", s)


def _sql(s):
    return "'" + s.replace("'", "''") + "'"


class Lf:
    """One LF: its LabelFlight spec (label as a class index) and its Polars, DuckDB and Python forms."""

    def __init__(self, name, kind, label, spec, polars, duckdb, python=None):
        self.name, self.kind, self.label = name, kind, label
        self.spec = {"name": name, "kind": kind, "label": label, **spec}
        self.polars = polars      # () -> polars boolean expression (null counts as no vote)
        self.duckdb = duckdb      # SQL boolean expression over table t (null counts as no vote)
        self.python = python      # row -> bool, for kinds LF.to_snorkel does not cover (expressions)


def kw(name, words, label, whole=False, cs=False, column=TEXT):
    spec = {"column": column, "keywords": list(words), "caseSensitive": cs, "wholeWord": whole}
    alternation = "|".join(_esc(w) for w in words)

    def polars():
        import polars as pl
        c = pl.col(column)
        if whole:
            return c.str.contains(("" if cs else "(?i)") + rf"\b(?:{alternation})\b")
        return c.str.contains_any(list(words), ascii_case_insensitive=not cs)

    if whole:
        duck = f"regexp_matches({column}, {_sql(('' if cs else '(?i)') + _BEFORE + '(?:' + alternation + ')' + _AFTER)})"
    elif cs:
        duck = "(" + " OR ".join(f"contains({column}, {_sql(w)})" for w in words) + ")"
    else:
        duck = "(" + " OR ".join(f"contains(lower({column}), {_sql(w.lower())})" for w in words) + ")"
    return Lf(name, "keyword", label, spec, polars, duck)


def rx(name, pattern, label, duckdb_pattern, cs=True, column=TEXT):
    spec = {"column": column, "pattern": pattern, "caseSensitive": cs}

    def polars():
        import polars as pl
        return pl.col(column).str.contains(("" if cs else "(?i)") + pattern)

    duck = f"regexp_matches({column}, {_sql(('' if cs else '(?i)') + duckdb_pattern)})"
    return Lf(name, "regex", label, spec, polars, duck)


_OPS = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}


def num(name, column, op, label, value=None, lo=None, hi=None):
    if op == "between":
        spec = {"column": column, "op": op, "min": lo, "max": hi}

        def polars():
            import polars as pl
            return pl.col(column).is_between(lo, hi)
        duck = f"({column} BETWEEN {lo} AND {hi})"
    else:
        spec = {"column": column, "op": op, "value": value}

        def polars():
            import polars as pl
            return getattr(pl.col(column), _OPS[op])(value)
        duck = f"({column} {op} {value})"
    return Lf(name, "numeric", label, spec, polars, duck)


def cat(name, column, values, label):
    spec = {"column": column, "values": list(values)}

    def polars():
        import polars as pl
        return pl.col(column).is_in(list(values))
    duck = f"({column} IN ({', '.join(_sql(v) for v in values)}))"
    return Lf(name, "categorical", label, spec, polars, duck)


def expr(name, cel, label, polars, duck, python):
    return Lf(name, "expression", label, {"expr": cel}, polars, duck, python)


def _len_lt(column, n):
    def polars():
        import polars as pl
        return pl.col(column).str.len_chars() < n
    return polars


HAM, SPAM = 0, 1
BILLING, BUG, ACCOUNT, SHIPPING = 0, 1, 2, 3


def spam_set():
    def links_short():
        import polars as pl
        return (pl.col("n_links") > 0) & (pl.col(TEXT).str.len_chars() < 500)

    return ["HAM", "SPAM"], [
        kw("kw_prize", ["free", "prize", "winner", "bonus", "jackpot"], SPAM, whole=True),
        kw("kw_money", ["free money", "cash bonus", "gift card", "no credit check", "risk free"], SPAM),
        kw("kw_urgency", ["act now", "limited time", "expires today", "urgent", "last chance"], SPAM, whole=True),
        kw("kw_meeting", ["meeting", "agenda", "minutes", "schedule", "calendar"], HAM, whole=True),
        kw("kw_signoff", ["thanks", "thank you", "best regards", "cheers", "kind regards"], HAM, whole=True),
        kw("kw_caps", ["FREE", "WIN", "CASH"], SPAM, whole=True, cs=True),
        kw("kw_attach", ["attached", "attachment", "see attached"], HAM),
        rx("re_click", r"\bclick (here|below|now)\b", SPAM,
           _BEFORE + r"click (here|below|now)" + _AFTER, cs=False),
        rx("re_unsub", r"\b(unsubscribe|opt[- ]?out)\b", SPAM, _BEFORE + r"(unsubscribe|opt[- ]?out)" + _AFTER,
           cs=False),
        rx("re_phone", r"\b\d{3}[-.]\d{4}\b", SPAM, _BEFORE + r"\p{Nd}{3}[-.]\p{Nd}{4}" + _AFTER),
        rx("re_money", r"[$€£] ?\d{1,3}(,\d{3})*(\.\d{2})?", SPAM, r"[$€£] ?\p{Nd}{1,3}(,\p{Nd}{3})*(\.\p{Nd}{2})?"),
        rx("re_caps", r"\b[A-Z]{4,}\b", SPAM, _BEFORE + r"[A-Z]{4,}" + _AFTER),
        rx("re_url", r"https?://[^\s/]+", SPAM, r"https?://[^\s\v\p{Z}\x{85}\x{1c}-\x{1f}/]+"),
        rx("re_percent", r"\b\d{1,2}% off\b", SPAM, _BEFORE + r"\p{Nd}{1,2}% off" + _AFTER, cs=False),
        rx("re_exclaim", r"!{2,}", SPAM, r"!{2,}"),
        rx("re_reply", r"^(re|fwd?):", HAM, r"^(re|fwd?):", cs=False, column="subject"),
        num("num_links", "n_links", ">=", SPAM, value=3),
        num("num_recipients", "n_recipients", ">", SPAM, value=20),
        num("num_score", "score", "<", SPAM, value=0.15),
        expr("expr_short", "size(text) < 300", HAM, _len_lt(TEXT, 300), "(length(text) < 300)",
             lambda x: len(x.text) < 300),
        expr("expr_links_short", "n_links > 0 && size(text) < 500", SPAM, links_short,
             "(n_links > 0 AND length(text) < 500)", lambda x: x.n_links > 0 and len(x.text) < 500),
        cat("cat_promo", "sender_domain", ["promo.example", "deals.example", "win-big.example", "bulkmail.example",
                                           "offers.example"], SPAM),
        cat("cat_live", "channel", ["chat", "phone"], HAM),
    ]


def support_set():
    def subject_short():
        import polars as pl
        return (pl.col("subject").str.len_chars() < 25) & (pl.col("priority") <= 2)

    return ["BILLING", "BUG", "ACCOUNT", "SHIPPING"], [
        kw("kw_billing", ["refund", "invoice", "billing", "charged", "chargeback"], BILLING, whole=True),
        kw("kw_bug", ["crash", "crashes", "crashed", "stack trace", "exception", "bug"], BUG, whole=True),
        kw("kw_account", ["password", "log in", "login", "locked out", "2fa", "two-factor"], ACCOUNT, whole=True),
        kw("kw_shipping", ["tracking number", "shipment", "delivery", "courier", "package"], SHIPPING),
        kw("kw_error_cs", ["ERROR", "FATAL", "NullPointerException"], BUG, cs=True),
        rx("re_errcode", r"\b(ERR|E)[-_]?\d{3,4}\b", BUG, _BEFORE + r"(ERR|E)[-_]?\p{Nd}{3,4}" + _AFTER),
        rx("re_version", r"\bv?\d+\.\d+\.\d+\b", BUG, _BEFORE + r"v?\p{Nd}+\.\p{Nd}+\.\p{Nd}+" + _AFTER),
        rx("re_invoice", r"\binv(oice)?[ #-]*\d{5,}\b", BILLING, _BEFORE + r"inv(oice)?[ #-]*\p{Nd}{5,}" + _AFTER,
           cs=False),
        rx("re_amount", r"[$€£]\d+(\.\d{2})?", BILLING, r"[$€£]\p{Nd}+(\.\p{Nd}{2})?"),
        rx("re_tracking", r"\b1Z[0-9A-Z]{16}\b", SHIPPING, _BEFORE + r"1Z[0-9A-Z]{16}" + _AFTER),
        rx("re_reset", r"\b(reset|forgot|change) (my )?password\b", ACCOUNT,
           _BEFORE + r"(reset|forgot|change) (my )?password" + _AFTER, cs=False),
        rx("re_not_working", r"\b(not|doesn't|isn't|won't) (work|working|load|loading)\b", BUG,
           _BEFORE + r"(not|doesn't|isn't|won't) (work|working|load|loading)" + _AFTER, cs=False),
        rx("re_date", r"\b\d{4}-\d{2}-\d{2}\b", SHIPPING, _BEFORE + r"\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}" + _AFTER),
        rx("re_email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", ACCOUNT,
           r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
        num("num_priority", "priority", ">=", BUG, value=4),
        num("num_score_band", "score", "between", BILLING, lo=0.4, hi=0.6),
        expr("expr_long", "size(text) > 5000", BUG, lambda: __import__("polars").col(TEXT).str.len_chars() > 5000,
             "(length(text) > 5000)", lambda x: len(x.text) > 5000),
        expr("expr_subject", "size(subject) < 25 && priority <= 2", ACCOUNT, subject_short,
             "(length(subject) < 25 AND priority <= 2)", lambda x: len(x.subject) < 25 and x.priority <= 2),
        cat("cat_phone", "channel", ["phone"], BILLING),
        cat("cat_carrier", "sender_domain", ["ups.example", "fedex.example", "dhl.example", "post.example",
                                             "courier.example"], SHIPPING),
    ]


SETS = {"spam": spam_set, "support": support_set}
