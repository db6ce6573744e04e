"""Uploads through the real server: every accepted input form and column type round-trips, versions count up."""

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import labelflight as lf
from conftest import CHUNK_ROWS
from corpus import reviews


def test_upload_dataframe_returns_versions_and_lists_them(client, name):
    """Verifies that uploads make versions 1, 2 and that datasets() lists both with rows and chunks."""
    df = reviews(2500)
    assert client.upload(df, name, batch_rows=700) == 1
    assert client.upload(df.head(10), name) == 2
    listed = client.datasets()
    assert list(listed.columns) == ["name", "version", "rows", "chunks", "created", "bytes"]
    mine = listed[listed["name"] == name].reset_index(drop=True)
    assert mine["version"].tolist() == [1, 2]
    assert mine["rows"].tolist() == [2500, 10]
    assert mine["chunks"].tolist() == [math.ceil(2500 / CHUNK_ROWS), 1]
    assert mine["created"].dt.tz is not None and mine["created"].is_monotonic_increasing
    assert (mine["bytes"] > 0).all()


def test_drop_dataset_removes_every_version(client, name):
    """Verifies that drop_dataset removes all versions, a second drop is NotFound, and the name can be reused."""
    df = reviews(300)
    client.upload(df, name)
    client.upload(df, name)
    assert client.drop_dataset(name) == [1, 2]
    assert name not in set(client.datasets()["name"])
    with pytest.raises(lf.NotFound, match=name):
        client.drop_dataset(name)
    assert client.upload(df, name) == 1


def test_dataframe_round_trips_through_download(client, name):
    """Verifies that the stored rows equal the uploaded DataFrame, in order, nulls included."""
    df = reviews(2345)
    client.upload(df, name, batch_rows=512)
    back = client.download(name)
    assert list(back.columns) == list(df.columns)
    assert back["text"].tolist() == [None if t is None else t for t in df["text"]]
    assert back["stars"].astype("Int64").tolist() == df["stars"].tolist()
    np.testing.assert_array_equal(back["price"].to_numpy(), df["price"].to_numpy())
    assert back["source"].tolist() == df["source"].tolist()
    assert client.download(name, version=1, as_arrow=True).num_rows == len(df)


SUPPORTED = {
    "utf8": pa.array(["a", None, "ünïcödé", ""], pa.string()),
    "large_utf8": pa.array(["x", "y", None, "z"], pa.large_string()),
    "int8": pa.array([-128, 127, None, 0], pa.int8()),
    "int16": pa.array([-32768, 32767, 1, None], pa.int16()),
    "int32": pa.array([None, -(2 ** 31), 2 ** 31 - 1, 5], pa.int32()),
    "int64": pa.array([-(2 ** 63), 2 ** 63 - 1, None, 7], pa.int64()),
    "float32": pa.array([1.5, None, float("inf"), -0.0], pa.float32()),
    "float64": pa.array([math.pi, float("nan"), None, 1e300], pa.float64()),
    "bool": pa.array([True, False, None, True], pa.bool_()),
    "vector": pa.array([[0.1, 0.2], [1.0, -1.0], None, [0.0, 0.5]], pa.list_(pa.float32(), 2)),
}


def test_every_supported_type_round_trips(client, name):
    """Verifies that a table with one column of each supported Arrow type comes back equal, type for type."""
    table = pa.table(SUPPORTED)
    client.upload(table, name)
    back = client.download(name, as_arrow=True)
    assert back.schema.equals(table.schema)
    for column in table.column_names:
        assert _values(back[column]) == _values(table[column]), column


def _values(column: pa.ChunkedArray) -> list:
    """Python values with NaN made comparable (NaN != NaN would hide equal columns)."""
    return ["NaN" if isinstance(v, float) and math.isnan(v) else v for v in column.to_pylist()]


def test_types_the_server_lacks_are_converted(client, name):
    """Verifies that categorical, unsigned and float16 columns are sent as plain, signed and float32 ones."""
    df = pd.DataFrame({
        "cat": pd.Categorical(["a", "b", "a", None]),
        "u8": np.array([0, 255, 3, 4], dtype=np.uint8),
        "u32": np.array([0, 2 ** 32 - 1, 1, 2], dtype=np.uint32),
        "f16": np.array([0.5, 1.5, -2.0, 0.25], dtype=np.float16),
    })
    client.upload(df, name)
    back = client.download(name, as_arrow=True)
    assert pa.types.is_string(back.schema.types[0]) or pa.types.is_large_string(back.schema.types[0])
    assert back.schema.types[1:] == [pa.int16(), pa.int64(), pa.float32()]
    assert back["cat"].to_pylist() == ["a", "b", "a", None]
    assert back["u32"].to_pylist() == [0, 2 ** 32 - 1, 1, 2]
    assert back["f16"].to_pylist() == [0.5, 1.5, -2.0, 0.25]


def test_upload_parquet_and_csv_files(client, name, tmp_path):
    """Verifies that Parquet and CSV paths stream in batches and store every row."""
    df = reviews(3100).drop(columns=["stars"])
    parquet = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), parquet, row_group_size=1000)
    csv = tmp_path / "r.csv"
    pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), csv)
    assert client.upload(parquet, name, batch_rows=800) == 1
    assert client.upload(str(csv), name, batch_rows=900) == 2
    from_parquet = client.download(name, 1)
    from_csv = client.download(name, 2)
    assert len(from_parquet) == len(from_csv) == 3100
    assert from_parquet["text"].tolist() == df["text"].tolist()
    assert from_csv["gold"].tolist() == df["gold"].tolist()
    np.testing.assert_allclose(from_csv["price"], df["price"])


def test_upload_record_batch_reader(client, name):
    """Verifies that a RecordBatchReader streams through unchanged."""
    table = pa.Table.from_pandas(reviews(1500), preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=256))
    client.upload(reader, name)
    assert client.download(name, as_arrow=True).equals(table)


def test_upload_rejections_carry_the_server_message(client, name, tmp_path):
    """Verifies that bad names, types and files fail with clear errors."""
    with pytest.raises(lf.InvalidRequest, match="dataset name '../x' is invalid"):
        client.upload(pd.DataFrame({"a": [1]}), "../x")
    with pytest.raises(lf.InvalidRequest, match="column 'when' has unsupported type Timestamp"):
        client.upload(pa.table({"when": pa.array([1], pa.timestamp("s"))}), name)
    with pytest.raises(lf.NotFound, match=f"dataset '{name}' not found"):
        client.download(name)
    with pytest.raises(ValueError, match="cannot tell the format"):
        (tmp_path / "data.json").write_text("{}")
        client.upload(tmp_path / "data.json", name)
    with pytest.raises(TypeError, match="upload takes a pandas DataFrame"):
        client.upload([1, 2, 3], name)


def test_oversized_value_is_refused_naming_the_limit(client, name):
    """Verifies that a string over limits.maxValueBytes (1 MiB for these tests) fails the upload with
    InvalidRequest naming the limit and the column, and that nothing is stored."""
    frame = pd.DataFrame({"text": ["short", "x" * (2 << 20)], "n": [1, 2]})
    with pytest.raises(lf.InvalidRequest, match=r"column 'text'.*limits\.maxValueBytes"):
        client.upload(frame, name)
    with pytest.raises(lf.NotFound):
        client.download(name)


def test_connect_fails_fast_on_a_dead_address(server):
    """Verifies that connect() reports an unreachable server as Unavailable."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(lf.Unavailable):
        lf.connect(f"grpc://127.0.0.1:{port}", timeout=5)
    with pytest.raises(ValueError, match="is not a Flight location"):
        lf.connect("http://127.0.0.1:8815")


