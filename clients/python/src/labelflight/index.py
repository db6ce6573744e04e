"""A DataFrame's index stored with its dataset, so that every result comes back aligned to the user's rows.

At upload the index levels become columns with reserved names (``__index_level_0__``, ...: pyarrow's own
convention) in types the server stores (timestamps, dates and durations as their int64/int32 values), and
the schema's custom metadata ``labelflight.index`` records each level's name, pandas dtype and original Arrow
type. The server keeps both like any column and metadata. On the way back the client reads only these
columns (``dataset/NAME@V?columns=...``) and rebuilds the index exactly; results, which the server numbers
by row id (the position in the upload), then take ``index[row_id]``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

INDEX_METADATA = b"labelflight.index"
RESERVED_PREFIX = "__index_level_"

_SIGNED = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64(), pa.uint64(): pa.int64()}


def reserved_name(level: int) -> str:
    return f"{RESERVED_PREFIX}{level}__"


def is_reserved(name: str) -> bool:
    return name.startswith(RESERVED_PREFIX) and name.endswith("__")


def _json_name(name: Any) -> Any:
    return name if name is None or isinstance(name, (str, int, float, bool)) else str(name)


def storable_index_array(array: pa.Array, what: str) -> pa.Array:
    """The array as the server stores it: temporal types as their integer values, dictionaries decoded,
    unsigned integers widened; TypeError for types no column can hold."""
    t = array.type
    if pa.types.is_dictionary(t):
        return storable_index_array(array.dictionary_decode(), what)
    if pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_date64(t) or pa.types.is_time64(t):
        return array.cast(pa.int64())
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        return array.cast(pa.int32())
    if t in _SIGNED:
        return array.cast(_SIGNED[t])
    if pa.types.is_float16(t):
        return array.cast(pa.float32())
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t):
        from .upload import view_to_string
        return view_to_string(array)
    if (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t)):
        return array
    raise TypeError(f"{what} has type {t}, which a dataset cannot store (strings, numbers, booleans, dates and "
                    "times can): upload with index=False, or reset_index() first")


@dataclass
class StoredIndex:
    """How an index is stored: its reserved fields (stored types) and the metadata that restores it."""

    fields: list[pa.Field]
    metadata: bytes

    @classmethod
    def describe(cls, names: Sequence[Any], dtypes: Sequence[str], original: Sequence[pa.Field],
                 stored: Sequence[pa.DataType]) -> "StoredIndex":
        schema = pa.schema([pa.field(f"level{i}", f.type) for i, f in enumerate(original)])
        meta = {"version": 1,
                "levels": [{"field": reserved_name(i), "name": _json_name(n), "dtype": d}
                           for i, (n, d) in enumerate(zip(names, dtypes))],
                "types": base64.b64encode(schema.serialize().to_pybytes()).decode()}
        fields = [pa.field(reserved_name(i), t) for i, t in enumerate(stored)]
        return cls(fields, json.dumps(meta).encode())


def frame_index(frame: pd.DataFrame, index: bool | None) -> tuple[StoredIndex, list[pa.Array]] | None:
    """The stored form of ``frame.index`` and its arrays, or None when it is not stored: ``index=False``, or
    ``index=None`` (the default) and the index is the default ``RangeIndex`` (row ids are the same numbers)."""
    idx = frame.index
    if index is False:
        return None
    if (index is None and isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
            and idx.name is None):
        return None
    clash = [c for c in frame.columns if isinstance(c, str) and is_reserved(c)]
    if clash:
        raise ValueError(f"column {clash[0]!r} has a name reserved for the stored index")
    arrays, stored, original, dtypes = [], [], [], []
    for i in range(idx.nlevels):
        level = idx.get_level_values(i)
        what = f"index level {i} ({level.name!r}, {level.dtype})"
        try:
            array = pa.array(level)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            raise TypeError(f"{what} cannot be converted to Arrow ({e}): upload with index=False, or reset_index() "
                            "first") from None
        original.append(pa.field(f"level{i}", array.type))
        array = storable_index_array(array, what)
        arrays.append(array)
        stored.append(array.type)
        dtypes.append(str(level.dtype))
    return StoredIndex.describe(list(idx.names), dtypes, original, stored), arrays


def arrow_index(schema: pa.Schema) -> tuple[StoredIndex, list[str]] | None:
    """For an Arrow or Parquet source written from pandas: its index columns (named in the ``pandas`` schema
    metadata) to store as the index, with their source field names; None when it has none (row ids then)."""
    raw = (schema.metadata or {}).get(b"pandas")
    if not raw or INDEX_METADATA in (schema.metadata or {}):
        return None
    try:
        pandas_meta = json.loads(raw)
    except ValueError:
        return None
    columns = [c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)]
    if not columns or any(schema.get_field_index(c) < 0 for c in columns):
        return None
    by_field = {c.get("field_name"): c for c in pandas_meta.get("columns", [])}
    names, dtypes, original, stored = [], [], [], []
    for i, c in enumerate(columns):
        entry = by_field.get(c, {})
        names.append(entry.get("name", None if c.startswith(RESERVED_PREFIX) else c))
        dtypes.append(str(entry.get("numpy_type") or ""))
        t = schema.field(c).type
        original.append(pa.field(f"level{i}", t))
        stored.append(storable_index_array(pa.array([], t), f"index column {c!r}").type)
    return StoredIndex.describe(names, dtypes, original, stored), columns


def stored_index(schema: pa.Schema) -> dict | None:
    """The ``labelflight.index`` metadata of a stored dataset's schema, or None."""
    raw = (schema.metadata or {}).get(INDEX_METADATA)
    if not raw:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and meta.get("levels") else None


def restore(table: pa.Table, meta: dict) -> pd.Index:
    """The index stored in ``table``'s reserved columns, as it was uploaded (names, dtypes, levels)."""
    types = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(meta["types"])))
    levels = []
    for spec, original in zip(meta["levels"], types):
        column = table.column(spec["field"])
        target = original.type
        if pa.types.is_dictionary(target):
            target = target.value_type
        if column.type != target:
            column = column.cast(target)
        values = column.to_pandas()
        level = pd.Index(values).rename(spec.get("name"))
        dtype = spec.get("dtype")
        if dtype and str(level.dtype) != dtype:
            try:
                level = level.astype(dtype)
            except (TypeError, ValueError):
                pass
        levels.append(level)
    if len(levels) == 1:
        return levels[0]
    return pd.MultiIndex.from_arrays(levels, names=[lv.name for lv in levels])


def take(index: pd.Index, row_ids: np.ndarray) -> pd.Index:
    """``index`` at the given row ids (positions), keeping names and dtypes."""
    return index.take(np.asarray(row_ids, dtype=np.int64))
