"""What the Python client shares with the web page: the LF set of a dataset (versioned, with who saved each
version from where) and the hand-labelled dev set of a dataset version (gold for analysis and label-model
selection, ``"@dev"``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.flight as flight

from . import index as stored_index
from .errors import InvalidRequest, translated
from .lfs import LF, spec_of

if TYPE_CHECKING:
    from .client import Client

__all__ = ["LfSet", "DEV_GOLD"]

#: The gold name of a dataset version's hand-labelled dev set (``c.analysis(L, gold=DEV_GOLD)``).
DEV_GOLD = "@dev"
#: The client name this package saves LF sets under (the page saves as "page").
SOURCE = "python"


@dataclass
class LfSet:
    """One version of a dataset's LF set: class names, LF specs (dicts, as the page edits them), the gold
    column (or ``"@dev"``), and who saved it when from where. Change ``lfs``/``labels``/``gold`` and call
    :meth:`save` for the next version; :meth:`apply` runs it."""

    dataset: str
    labels: list[str]
    lfs: list[dict]
    gold: str | None = None
    version: int = 0
    user: str | None = None
    source: str | None = None
    saved: str | None = None
    changes: dict = field(default_factory=dict)
    client: "Client | None" = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, client: "Client", dataset: str, set_: dict) -> "LfSet":
        return cls(dataset=dataset, labels=list(set_.get("labels", [])), lfs=list(set_.get("lfs", [])),
                   gold=set_.get("gold"), version=int(set_.get("version", 0)), user=set_.get("user"),
                   source=set_.get("source"), saved=set_.get("saved"), changes=dict(set_.get("changes") or {}),
                   client=client)

    @property
    def names(self) -> list[str]:
        return [lf.get("name") for lf in self.lfs]

    def add(self, lf: "LF | dict") -> "LfSet":
        """Adds an LF (``lf.keyword(...)`` or its dict) to this set in memory; :meth:`save` stores it."""
        spec = spec_of(lf) if not isinstance(lf, dict) else dict(lf)
        spec = spec.to_dict() if isinstance(spec, LF) else dict(spec)
        if spec.get("name") in self.names:
            raise InvalidRequest(f"the LF set already has an LF named {spec.get('name')!r}")
        self.lfs.append(spec)
        return self

    def save(self, *, force: bool = False) -> "LfSet":
        """Stores this set as the next version and returns it. Refused with :class:`AlreadyExists` when
        someone (the page, another notebook) saved a version after the one this was read at, unless
        ``force``."""
        return self.client.save_lfset(self.dataset, self.lfs, labels=self.labels, gold=self.gold,
                                      base_version=None if force else self.version)

    def apply(self, **kwargs):
        """Runs the set's LFs on its dataset: ``Client.apply(dataset, lfs, labels=labels, **kwargs)``."""
        return self.client.apply(self.dataset, self.lfs, labels=self.labels, **kwargs)


def lfset(client: "Client", dataset: str, version: int | None = None) -> LfSet | None:
    body: dict[str, Any] = {"dataset": dataset}
    if version is not None:
        body["version"] = int(version)
    reply = client._action("lfset_get", body)
    return None if reply.get("set") is None else LfSet.from_json(client, dataset, reply["set"])


def save_lfset(client: "Client", dataset: str, lfs: Sequence[Any], labels: Sequence[str], gold: str | None,
               base_version: int | None) -> LfSet:
    labels = [str(x) for x in labels]
    specs = []
    for lf in lfs:
        spec = lf if isinstance(lf, dict) else spec_of(lf)
        spec = spec.to_dict() if isinstance(spec, LF) else dict(spec)
        label = spec.get("label")
        if isinstance(label, int) and not isinstance(label, bool):
            spec["label"] = labels[label]
        specs.append(spec)
    body: dict[str, Any] = {"dataset": dataset, "source": SOURCE,
                            "set": {"labels": labels, "lfs": specs, "gold": gold}}
    if base_version is not None:
        body["baseVersion"] = int(base_version)
    return LfSet.from_json(client, dataset, client._action("lfset_put", body)["set"])


def lfset_history(client: "Client", dataset: str, limit: int) -> pd.DataFrame:
    versions = client._action("lfset_history", {"dataset": dataset, "limit": int(limit)})["versions"]
    frame = pd.DataFrame([{"version": v["version"], "saved": v.get("saved"), "user": v.get("user"),
                           "source": v.get("source"), "lfs": v.get("lfs"), "changes": v.get("changes", {})}
                          for v in versions], columns=["version", "saved", "user", "source", "lfs", "changes"])
    frame["saved"] = pd.to_datetime(frame["saved"], utc=True, format="ISO8601")
    return frame.set_index("version")


def _version(client: "Client", dataset: str, version: int | None) -> int:
    if version is not None:
        return int(version)
    return int(client._action("dev_set_info", {"dataset": dataset})["version"])


def dev_set(client: "Client", dataset: str, version: int | None) -> pd.DataFrame:
    version = _version(client, dataset, version)
    with translated():
        table = client._flight.do_get(flight.Ticket(f"devset/{dataset}@{version}".encode()),
                                      options=client._options).read_all()
    ids = table.column("row_id").to_numpy()
    labels = table.column("label").to_pylist()
    full = client.dataset_index(dataset, version)
    index = stored_index.take(full, ids) if full is not None else pd.Index(ids, name="row_id")
    frame = pd.DataFrame({"label": pd.Series(labels, index=index, dtype=object)})
    frame.attrs["dataset"] = dataset
    frame.attrs["version"] = version
    return frame


def label_dev(client: "Client", dataset: str, labels: "pd.Series | Mapping[Any, Any]", version: int | None) -> dict:
    version = _version(client, dataset, version)
    series = labels if isinstance(labels, pd.Series) else pd.Series(dict(labels), dtype=object)
    full = client.dataset_index(dataset, version)
    if full is None:
        try:
            ids = np.asarray(series.index, dtype=np.int64)
        except (TypeError, ValueError) as e:
            raise InvalidRequest(f"dataset {dataset!r} v{version} was uploaded without an index: label rows by row id"
                                 f" (0..n-1) ({e})") from e
    else:
        if not full.is_unique:
            raise InvalidRequest(f"the index {dataset!r} v{version} was uploaded with has duplicates, so its labels"
                                 " cannot name rows; upload the frame with a unique index")
        ids = full.get_indexer(series.index)
        missing = series.index[ids < 0]
        if len(missing):
            raise KeyError(f"{len(missing)} labels name rows that are not in {dataset!r} v{version}"
                           f" (first: {list(missing[:5])})")
    values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in series.tolist()]
    table = pa.table({"row_id": pa.array(ids, pa.int64()), "label": pa.array(values, pa.string())})
    descriptor = flight.FlightDescriptor.for_path("devsets", dataset, str(version))
    with translated():
        writer, reader = client._flight.do_put(descriptor, table.schema, options=client._options)
        writer.write_table(table)
        writer.done_writing()
        ack = reader.read()
        writer.close()
    return json.loads(ack.to_pybytes()) if ack is not None else {}
