"""Turns what a user hands to ``Client.upload`` into a schema plus a stream of record batches the server accepts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pandas as pd
import pyarrow as pa

from .index import INDEX_METADATA, StoredIndex, arrow_index, frame_index

# Aim for record batches of this many bytes: big enough for throughput, far below the server's
# 64 MiB inbound message limit.
TARGET_BATCH_BYTES = 8 << 20
MAX_BATCH_ROWS = 1 << 20
_SAMPLE_ROWS = 1024

# A DataFrame is converted to Arrow whole when its estimated Arrow size is at most this share of the
# memory the system has available, else slice by slice.
WHOLE_FRAME_MEMORY_SHARE = 0.5

_WIDER_SIGNED = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64(), pa.uint64(): pa.int64()}


def _is_view_string(t: pa.DataType) -> bool:
    return hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t)


def view_to_string(column):
    """A string_view array or chunked array as large_string (pyarrow 16 cannot cast views: via Python there)."""
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([view_to_string(c) for c in column.chunks], pa.large_string())
    try:
        return column.cast(pa.large_string())
    except pa.ArrowNotImplementedError:
        return pa.array(column.to_pylist(), pa.large_string())


def _without_views(table: pa.Table) -> pa.Table:
    for i, field in enumerate(table.schema):
        if _is_view_string(field.type):
            table = table.set_column(i, pa.field(field.name, pa.large_string(), field.nullable),
                                     view_to_string(table.column(i)))
    return table


def _is_number_list(t: pa.DataType) -> bool:
    return ((pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t))
            and (pa.types.is_floating(t.value_type) or pa.types.is_integer(t.value_type)))


def storable_type(t: pa.DataType, dimension: int | None = None) -> pa.DataType:
    """The type a column of type ``t`` is sent as: the server stores no dictionaries, views, unsigned ints or
    float16, and vectors as ``fixed_size_list<float32>`` (``dimension`` floats, for lists of numbers)."""
    if pa.types.is_dictionary(t):
        return storable_type(t.value_type)
    if _is_view_string(t):
        return pa.large_string()
    if t in _WIDER_SIGNED:
        return _WIDER_SIGNED[t]
    if pa.types.is_float16(t):
        return pa.float32()
    if _is_number_list(t):
        size = t.list_size if pa.types.is_fixed_size_list(t) else dimension
        if size is not None:
            return pa.list_(pa.float32(), size)
    return t


def storable_schema(schema: pa.Schema, dimensions: dict[str, int] | None = None) -> pa.Schema:
    dimensions = dimensions or {}
    return pa.schema([pa.field(f.name, storable_type(f.type, dimensions.get(f.name)), f.nullable) for f in schema],
                     metadata=schema.metadata)


def vector_dimensions(sample: pa.Table | pa.RecordBatch) -> dict[str, int]:
    """The length of the vectors in each list-of-numbers column of ``sample`` (its first non-null row)."""
    out = {}
    for i, field in enumerate(sample.schema):
        if _is_number_list(field.type) and not pa.types.is_fixed_size_list(field.type):
            column = sample.column(i)
            for value in (column.drop_null() if hasattr(column, "drop_null") else column.filter(column.is_valid())):
                out[field.name] = len(value)
                break
    return out


def cast_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` in ``schema`` (same column order); a vector column whose lengths differ fails naming it."""
    if batch.schema.equals(schema):
        return batch
    arrays = []
    for i, field in enumerate(schema):
        column = batch.column(i)
        if _is_view_string(column.type):
            column = view_to_string(column)
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except pa.ArrowInvalid as e:
                if pa.types.is_fixed_size_list(field.type):
                    raise ValueError(f"column {field.name!r} holds vectors of different lengths (expected "
                                     f"{field.type.list_size} floats in every row, as in its first): {e}") from None
                raise
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _available_memory() -> int | None:
    """Bytes of memory the system can still hand out (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _fits_in_memory(arrow_bytes: float) -> bool:
    available = _available_memory()
    if available is None:  # not Linux: whole frames up to 1 GiB
        available = 2 << 30
    return arrow_bytes <= WHOLE_FRAME_MEMORY_SHARE * available


def _rows_per_batch(sample: pa.Table | pa.RecordBatch, batch_rows: int | None) -> int:
    if batch_rows is not None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be positive")
        return int(batch_rows)
    if sample.num_rows == 0:
        return MAX_BATCH_ROWS
    per_row = max(1, sample.nbytes // sample.num_rows)
    return int(min(MAX_BATCH_ROWS, max(1, TARGET_BATCH_BYTES // per_row)))


def _with_index(schema: pa.Schema, index: StoredIndex | None) -> pa.Schema:
    if index is None:
        return schema
    metadata = dict(schema.metadata or {})
    metadata[INDEX_METADATA] = index.metadata
    return pa.schema(list(schema) + index.fields, metadata=metadata)


class _ArrowIndex:
    """Moves the index columns of an Arrow source written from pandas to the reserved names, at the end."""

    def __init__(self, schema: pa.Schema):
        found = arrow_index(schema)
        self.index, self.columns = found if found else (None, [])
        self.keep = [i for i, f in enumerate(schema) if f.name not in self.columns]

    def schema(self, schema: pa.Schema) -> pa.Schema:
        if self.index is None:
            return schema
        return _with_index(pa.schema([schema.field(i) for i in self.keep], metadata=schema.metadata), self.index)

    def batch(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.index is None:
            return batch
        from .index import storable_index_array
        arrays = [batch.column(i) for i in self.keep]
        arrays += [storable_index_array(batch.column(batch.schema.get_field_index(c)), c) for c in self.columns]
        names = [batch.schema.field(i).name for i in self.keep] + [f.name for f in self.index.fields]
        return pa.RecordBatch.from_arrays(arrays, names=names)


@dataclass
class UploadSource:
    """A schema, a row count when known, and a one-shot factory of record batches in that schema."""

    schema: pa.Schema
    total_rows: int | None
    _batches: Callable[[], Iterator[pa.RecordBatch]]

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches():
            if batch.num_rows:
                yield cast_batch(batch, self.schema)

    @classmethod
    def of(cls, data: Any, batch_rows: int | None = None, index: bool | None = None) -> "UploadSource":
        if isinstance(data, pd.DataFrame):
            return cls._from_pandas(data, batch_rows, index)
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        if isinstance(data, pa.Table):
            return cls._from_table(data, batch_rows, index)
        if isinstance(data, pa.RecordBatchReader):
            moved = _ArrowIndex(data.schema) if index is not False else _ArrowIndex(pa.schema([]))
            first = None

            def batches() -> Iterator[pa.RecordBatch]:
                if first is not None:
                    yield moved.batch(first)
                for b in data:
                    yield moved.batch(b)

            # The vectors' length comes from the first batch, read ahead and sent first.
            dims = {}
            if any(_is_number_list(f.type) and not pa.types.is_fixed_size_list(f.type) for f in data.schema):
                first = next(iter(data), None)
                dims = vector_dimensions(first) if first is not None else {}
            return cls(storable_schema(moved.schema(data.schema), dims), None, batches)
        if isinstance(data, (str, os.PathLike)):
            return cls._from_path(os.fspath(data), batch_rows, index)
        raise TypeError("upload takes a pandas DataFrame, a pyarrow Table/RecordBatch/RecordBatchReader, "
                        f"or a .parquet/.csv path; not {type(data).__name__}")

    @classmethod
    def _from_pandas(cls, frame: pd.DataFrame, batch_rows: int | None, index: bool | None) -> "UploadSource":
        source_schema = pa.Schema.from_pandas(frame, preserve_index=False)
        sample = pa.Table.from_pandas(frame.iloc[:_SAMPLE_ROWS], schema=source_schema, preserve_index=False)
        rows = _rows_per_batch(sample, batch_rows)
        whole = _fits_in_memory(sample.nbytes / max(1, sample.num_rows) * len(frame))
        stored = frame_index(frame, index)
        index_info, index_arrays = stored if stored else (None, [])
        # The vectors' length from the first non-null row of each list column (a later row of another length
        # fails the upload naming the column).
        dims = {}
        if any(_is_number_list(f.type) and not pa.types.is_fixed_size_list(f.type) for f in source_schema):
            dims = vector_dimensions(sample)

        def with_index(batch: pa.RecordBatch, start: int) -> pa.RecordBatch:
            if index_info is None:
                return batch
            arrays = list(batch.columns) + [a.slice(start, batch.num_rows) for a in index_arrays]
            return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names + [f.name for f in index_info.fields])

        def batches() -> Iterator[pa.RecordBatch]:
            start = 0
            if whole:
                # One conversion of each column (zero-copy for Arrow-backed and most numeric columns), then
                # slices of it: far cheaper than converting thousands of row slices one by one.
                table = pa.Table.from_pandas(frame, schema=source_schema, preserve_index=False)
                for batch in table.to_batches(max_chunksize=rows):
                    yield with_index(batch, start)
                    start += batch.num_rows
                return
            # Too big to hold twice: one slice at a time, so the Arrow copy of the frame never exists whole.
            for first in range(0, len(frame), rows):
                part = pa.Table.from_pandas(frame.iloc[first:first + rows], schema=source_schema, preserve_index=False)
                for batch in part.to_batches():
                    yield with_index(batch, start)
                    start += batch.num_rows

        return cls(_with_index(storable_schema(source_schema, dims), index_info), len(frame), batches)

    @classmethod
    def _from_table(cls, table: pa.Table, batch_rows: int | None, index: bool | None = None) -> "UploadSource":
        table = _without_views(table)
        moved = _ArrowIndex(table.schema if index is not False else pa.schema([]))
        rows = _rows_per_batch(table.slice(0, _SAMPLE_ROWS), batch_rows)
        dims = vector_dimensions(table)
        return cls(storable_schema(moved.schema(table.schema), dims), table.num_rows,
                   lambda: (moved.batch(b) for b in table.to_batches(max_chunksize=rows)))

    @classmethod
    def _from_path(cls, path: str, batch_rows: int | None, index: bool | None = None) -> "UploadSource":
        lower = path.lower()
        if lower.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            first = next(pf.iter_batches(batch_size=_SAMPLE_ROWS), None)
            rows = _rows_per_batch(first, batch_rows) if first is not None else MAX_BATCH_ROWS
            moved = _ArrowIndex(pf.schema_arrow if index is not False else pa.schema([]))
            dims = vector_dimensions(first) if first is not None else {}
            return cls(storable_schema(moved.schema(pf.schema_arrow), dims), pf.metadata.num_rows,
                       lambda: (moved.batch(b) for b in pq.ParquetFile(path).iter_batches(batch_size=rows)))
        if lower.endswith(".csv"):
            import pyarrow.csv as csv

            # CSV blocks are sized in bytes; batch_rows, if given, re-slices them.
            options = csv.ReadOptions(block_size=TARGET_BATCH_BYTES)
            schema = csv.open_csv(path, read_options=options).schema

            def batches() -> Iterator[pa.RecordBatch]:
                for block in csv.open_csv(path, read_options=options):
                    yield from (pa.Table.from_batches([block]).to_batches(max_chunksize=batch_rows)
                                if batch_rows else [block])

            return cls(storable_schema(schema), None, batches)
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        raise ValueError(f"cannot tell the format of {path!r}: give a .parquet, .pq or .csv file")
