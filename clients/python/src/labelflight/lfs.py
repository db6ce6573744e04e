"""Labeling-function builders: plain objects that serialize to the server's JSON LF specs."""

from __future__ import annotations

import json
import numbers
import re
from typing import Any, Callable, Iterable, Mapping

__all__ = ["LF", "keyword", "regex", "numeric", "categorical", "expr", "similarity", "model", "NUMERIC_OPS",
           "spec_of"]

NUMERIC_OPS = ("<", "<=", ">", ">=", "==", "!=", "between")


class LF:
    """One labeling function: ``name``, ``kind`` and the kind's fields, exactly as the server reads them.

    ``label`` is a class name of the job's ``labels`` (or a class index, resolved by ``Client.apply``);
    an ``expression`` LF may leave it out and return a class index itself.
    """

    __slots__ = ("name", "kind", "fields")

    def __init__(self, name: str, kind: str, **fields: Any):
        if not isinstance(name, str) or not name:
            raise ValueError("an LF needs a non-empty string name")
        self.name = name
        self.kind = kind
        self.fields = {k: v for k, v in fields.items() if v is not None}

    @property
    def label(self):
        return self.fields.get("label")

    def to_dict(self) -> dict:
        """The LF's JSON object: {"name", "kind", ...fields}."""
        return {"name": self.name, "kind": self.kind, **self.fields}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> "LF":
        """An LF from its JSON object (as stored in a saved LF set, say)."""
        fields = dict(spec)
        try:
            return cls(fields.pop("name"), fields.pop("kind"), **fields)
        except KeyError as e:
            raise ValueError(f"LF spec {dict(spec)!r} lacks {e.args[0]!r}") from None

    def with_label(self, label: str) -> "LF":
        """A copy whose label is ``label``."""
        return LF(self.name, self.kind, **{**self.fields, "label": label})

    def to_snorkel(self, labels: Iterable[str]):
        """This LF as a Snorkel ``LabelingFunction`` that runs the same test locally on a row (for Snorkel's
        ``PandasLFApplier``), and that ``Client.apply`` runs on the server: it carries this LF as
        ``labelflight_spec``. For keyword, regex, numeric and categorical LFs; ``labels`` maps the LF's class
        name to the index Snorkel's LF returns."""
        from snorkel.labeling import LabelingFunction

        labels = list(labels)
        label = self.label
        if isinstance(label, str):
            if label not in labels:
                raise ValueError(f"LF {self.name!r}: label {label!r} is not one of {labels}")
            label = labels.index(label)
        test = _local_test(self)
        function = LabelingFunction(self.name, lambda x: label if test(x) else -1)
        function.labelflight_spec = self
        return function

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LF) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"LF({self.name!r}, {self.kind!r}, {args})"


def _label(label: Any, required: bool = True):
    if label is None:
        if required:
            raise ValueError("label= is required: a class name of the job's labels (or its index)")
        return None
    if isinstance(label, bool) or not isinstance(label, (str, numbers.Integral)):
        raise TypeError(f"label must be a class name or index, not {type(label).__name__}")
    return label if isinstance(label, str) else int(label)


def _strings(values: str | Iterable[str], what: str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    if not items or not all(isinstance(v, str) and v for v in items):
        raise ValueError(f"{what} must be a non-empty list of non-empty strings")
    return items


def keyword(name: str, keywords: str | Iterable[str], *, label: Any, column: str = "text",
            case_sensitive: bool = False, whole_word: bool = False) -> LF:
    """Votes ``label`` where any of ``keywords`` occurs in ``column`` (ASCII case folded unless case_sensitive)."""
    return LF(name, "keyword", column=column, keywords=_strings(keywords, "keywords"),
              caseSensitive=bool(case_sensitive), wholeWord=bool(whole_word), label=_label(label))


def regex(name: str, pattern: str, *, label: Any, column: str = "text", case_sensitive: bool = True,
          full_match: bool = False) -> LF:
    """Votes ``label`` where the RE2 ``pattern`` matches ``column`` (anywhere, or the whole value if full_match)."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("pattern must be a non-empty string")
    return LF(name, "regex", column=column, pattern=pattern, caseSensitive=bool(case_sensitive),
              match="full" if full_match else "anywhere", label=_label(label))


def _number(v: Any, what: str) -> float | int:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{what} must be a number, not {type(v).__name__}")
    return int(v) if isinstance(v, numbers.Integral) else float(v)


def numeric(name: str, column: str, op: str, value: Any = None, *, label: Any, min: Any = None,
            max: Any = None) -> LF:
    """Votes ``label`` where ``column`` compares true with ``value`` (or lies in [min, max] for op "between")."""
    if op not in NUMERIC_OPS:
        raise ValueError(f"op must be one of {', '.join(NUMERIC_OPS)}; got {op!r}")
    if op == "between":
        if min is None or max is None:
            raise ValueError("op 'between' needs min= and max=")
        return LF(name, "numeric", column=column, op=op, min=_number(min, "min"), max=_number(max, "max"),
                  label=_label(label))
    if value is None:
        raise ValueError(f"op {op!r} needs a value")
    return LF(name, "numeric", column=column, op=op, value=_number(value, "value"), label=_label(label))


def categorical(name: str, column: str, values: Iterable[Any], *, label: Any) -> LF:
    """Votes ``label`` where ``column``'s value is one of ``values``."""
    items = [values] if isinstance(values, (str, numbers.Number)) else list(values)
    if not items:
        raise ValueError("values must not be empty")
    return LF(name, "categorical", column=column, values=items, label=_label(label))


def expr(name: str, expression: str, *, label: Any = None, fault_tolerant: bool = False) -> LF:
    """A CEL expression over the row's columns: votes ``label`` where it is true, or (without label) returns
    a class index itself, -1 to abstain. A row where it fails (division by zero, index out of range, a class
    index out of range) fails the job, unless ``fault_tolerant``: it then abstains there and counts a fault."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("expression must be a non-empty string")
    return LF(name, "expression", expr=expression, label=_label(label, required=False),
              faultTolerant=True if fault_tolerant else None)


def similarity(name: str, column: str, query: Iterable[float], threshold: float, *, label: Any) -> LF:
    """Votes ``label`` where the cosine similarity of vector ``column`` to ``query`` is at least ``threshold``."""
    vector = [float(x) for x in query]
    if not vector:
        raise ValueError("query must be a non-empty vector")
    return LF(name, "similarity", column=column, query=vector, threshold=float(_number(threshold, "threshold")),
              label=_label(label))


def model(name: str, column: str, model: str, threshold: float, *, label: Any, class_index: int = 1) -> LF:
    """Votes ``label`` where the server-side ONNX ``model``'s score for ``class_index`` is at least ``threshold``."""
    if not isinstance(model, str) or not model:
        raise ValueError("model must name a model file known to the server")
    return LF(name, "model", column=column, model=model, **{"class": int(class_index)},
              threshold=float(_number(threshold, "threshold")), label=_label(label))


# Word characters of the server's whole-word keyword matching: ASCII letters, digits, '_' and non-ASCII.
_WORD = r"[A-Za-z0-9_\u0080-\U0010ffff]"


def _local_test(lf: LF) -> Callable[[Any], bool]:
    """A Python predicate on a row (anything with attribute or item access by column) with the LF's meaning."""
    f = lf.fields

    def value(row, column):
        v = getattr(row, column, None) if not isinstance(row, Mapping) else row.get(column)
        try:
            return None if v is None or bool(v != v) else v   # None, NaN and pandas' NA abstain
        except (TypeError, ValueError):
            return None

    if lf.kind == "keyword":
        body = "|".join(re.escape(k) for k in f["keywords"])
        pattern = rf"(?<!{_WORD})(?:{body})(?!{_WORD})" if f.get("wholeWord") else body
        compiled = re.compile(pattern, 0 if f.get("caseSensitive") else re.IGNORECASE | re.ASCII)
        return lambda row: isinstance(value(row, f["column"]), str) and bool(compiled.search(value(row, f["column"])))
    if lf.kind == "regex":
        compiled = re.compile(f["pattern"], 0 if f.get("caseSensitive", True) else re.IGNORECASE)
        match = compiled.fullmatch if f.get("match") == "full" else compiled.search
        return lambda row: isinstance(value(row, f["column"]), str) and bool(match(value(row, f["column"])))
    if lf.kind == "numeric":
        op = f["op"]
        compare = {"<": lambda v: v < f["value"], "<=": lambda v: v <= f["value"], ">": lambda v: v > f["value"],
                   ">=": lambda v: v >= f["value"], "==": lambda v: v == f["value"], "!=": lambda v: v != f["value"],
                   "between": lambda v: f["min"] <= v <= f["max"]}[op]
        return lambda row: value(row, f["column"]) is not None and bool(compare(value(row, f["column"])))
    if lf.kind == "categorical":
        allowed = set(f["values"])
        return lambda row: value(row, f["column"]) in allowed
    raise NotImplementedError(f"LF {lf.name!r}: a {lf.kind} LF runs on the server only (no local Snorkel version)")


def spec_of(item: Any, python_lf: Callable[[Any], dict] | None = None) -> "LF | dict":
    """What ``Client.apply`` sends for one item of its ``lfs``: an LF or its JSON dict as they are; a Snorkel
    ``LabelingFunction`` that carries ``labelflight_spec`` (from :meth:`LF.to_snorkel`) as that LF, under
    the Snorkel LF's name; any other callable (a Snorkel LF over Python code, a plain function) goes to
    ``python_lf``, the single entry point for Python-function LFs."""
    if isinstance(item, (LF, dict)):
        return item
    spec = getattr(item, "labelflight_spec", None)
    if spec is not None:
        spec = spec if isinstance(spec, LF) else LF.from_dict(spec)
        name = getattr(item, "name", None)
        return LF(name, spec.kind, **spec.fields) if isinstance(name, str) and name else spec
    if callable(item) and python_lf is not None:
        return python_lf(item)
    raise TypeError(f"an LF must be an lf.LF, its JSON dict or a Snorkel LabelingFunction; not {type(item).__name__}")
