"""What ``Client.upload`` streams for a DataFrame: the same batches whether the frame is converted whole or by slices."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from labelflight import upload
from labelflight.upload import UploadSource


def _frame(rows: int = 5_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    text = pd.Series([f"row {i} " + "x" * int(n) for i, n in enumerate(rng.integers(0, 40, rows))])
    text[::17] = None
    score = rng.normal(size=rows)
    score[::11] = np.nan
    return pd.DataFrame({"text": text, "id": np.arange(rows, dtype=np.int64), "score": score,
                         "small": rng.integers(0, 200, rows).astype(np.uint8)},
                        index=pd.RangeIndex(100, 100 + rows))


@pytest.mark.parametrize("share", [0.5, 0.0], ids=["whole", "slices"])
def test_dataframe_streams_every_row_in_batches_of_the_asked_size(monkeypatch, share):
    """Verifies that whole and sliced conversion stream the same rows, index included, in batches of batch_rows."""
    monkeypatch.setattr(upload, "WHOLE_FRAME_MEMORY_SHARE", share)
    frame = _frame()
    source = UploadSource.of(frame, batch_rows=700)
    batches = list(source.batches())
    assert max(b.num_rows for b in batches) == 700
    assert all(b.schema.equals(source.schema) for b in batches)
    sent = pa.Table.from_batches(batches, schema=source.schema)
    assert source.total_rows == sent.num_rows == len(frame)
    assert sent.schema.field("small").type == pa.int16()  # unsigned widened
    # The (non-default) index travels as a reserved column at the end, its description in the metadata.
    assert sent.column_names == ["text", "id", "score", "small", "__index_level_0__"]
    assert sent.column("__index_level_0__").to_pylist() == list(frame.index)
    assert b"labelflight.index" in sent.schema.metadata
    expected = pa.Table.from_pandas(frame, preserve_index=False)
    assert sent.drop_columns(["__index_level_0__"]).cast(expected.schema.remove_metadata()).equals(
        expected.cast(expected.schema.remove_metadata()).select(expected.column_names))

