"""Turns what a user hands to ``Client.upload`` into a schema plus a stream of record batches the server accepts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pandas as pd
import pyarrow as pa

# Aim for record batches of this many bytes: big enough for throughput, far below the server's
# 64 MiB inbound message limit.
TARGET_BATCH_BYTES = 8 << 20
MAX_BATCH_ROWS = 1 << 20
_SAMPLE_ROWS = 1024

# A DataFrame is converted to Arrow whole when its estimated Arrow size is at most this share of the
# memory the system has available, else slice by slice.
WHOLE_FRAME_MEMORY_SHARE = 0.5

_WIDER_SIGNED = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64(), pa.uint64(): pa.int64()}


def storable_type(t: pa.DataType) -> pa.DataType:
    """The type a column of type ``t`` is sent as: the server stores no dictionaries, unsigned ints or float16."""
    if pa.types.is_dictionary(t):
        return storable_type(t.value_type)
    if t in _WIDER_SIGNED:
        return _WIDER_SIGNED[t]
    if pa.types.is_float16(t):
        return pa.float32()
    return t


def storable_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, storable_type(f.type), f.nullable) for f in schema])


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


@dataclass
class UploadSource:
    """A schema, a row count when known, and a one-shot factory of record batches in that schema."""

    schema: pa.Schema
    total_rows: int | None
    _batches: Callable[[], Iterator[pa.RecordBatch]]

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches():
            if batch.num_rows:
                yield batch if batch.schema.equals(self.schema) else batch.cast(self.schema)

    @classmethod
    def of(cls, data: Any, batch_rows: int | None = None) -> "UploadSource":
        if isinstance(data, pd.DataFrame):
            return cls._from_pandas(data, batch_rows)
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        if isinstance(data, pa.Table):
            return cls._from_table(data, batch_rows)
        if isinstance(data, pa.RecordBatchReader):
            return cls(storable_schema(data.schema), None, lambda: iter(data))
        if isinstance(data, (str, os.PathLike)):
            return cls._from_path(os.fspath(data), batch_rows)
        raise TypeError("upload takes a pandas DataFrame, a pyarrow Table/RecordBatch/RecordBatchReader, "
                        f"or a .parquet/.csv path; not {type(data).__name__}")

    @classmethod
    def _from_pandas(cls, frame: pd.DataFrame, batch_rows: int | None) -> "UploadSource":
        source_schema = pa.Schema.from_pandas(frame, preserve_index=False)
        sample = pa.Table.from_pandas(frame.iloc[:_SAMPLE_ROWS], schema=source_schema, preserve_index=False)
        rows = _rows_per_batch(sample, batch_rows)
        whole = _fits_in_memory(sample.nbytes / max(1, sample.num_rows) * len(frame))

        def batches() -> Iterator[pa.RecordBatch]:
            if whole:
                # One conversion of each column (zero-copy for Arrow-backed and most numeric columns), then
                # slices of it: far cheaper than converting thousands of row slices one by one.
                table = pa.Table.from_pandas(frame, schema=source_schema, preserve_index=False)
                yield from table.to_batches(max_chunksize=rows)
                return
            # Too big to hold twice: one slice at a time, so the Arrow copy of the frame never exists whole.
            for start in range(0, len(frame), rows):
                part = pa.Table.from_pandas(frame.iloc[start:start + rows], schema=source_schema, preserve_index=False)
                yield from part.to_batches()

        return cls(storable_schema(source_schema), len(frame), batches)

    @classmethod
    def _from_table(cls, table: pa.Table, batch_rows: int | None) -> "UploadSource":
        rows = _rows_per_batch(table.slice(0, _SAMPLE_ROWS), batch_rows)
        return cls(storable_schema(table.schema), table.num_rows, lambda: iter(table.to_batches(max_chunksize=rows)))

    @classmethod
    def _from_path(cls, path: str, batch_rows: int | None) -> "UploadSource":
        lower = path.lower()
        if lower.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            first = next(pf.iter_batches(batch_size=_SAMPLE_ROWS), None)
            rows = _rows_per_batch(first, batch_rows) if first is not None else MAX_BATCH_ROWS
            return cls(storable_schema(pf.schema_arrow), pf.metadata.num_rows,
                       lambda: pq.ParquetFile(path).iter_batches(batch_size=rows))
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
