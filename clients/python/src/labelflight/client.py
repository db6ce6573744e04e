"""The LabelFlight client: datasets in, label matrices, LF summaries and label-model probabilities out."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.flight as flight

from . import index as stored_index
from . import pyfunc
from . import shared
from .errors import InvalidLF, InvalidRequest, translated
from .lfs import LF, spec_of
from .upload import UploadSource

__all__ = ["Client", "Job", "LabelModel", "LabelModelWarning", "connect", "TERMINAL_STATES"]

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
# Kinds of Client.derive.
DERIVED_KINDS = ("lowercase", "length", "token_count", "regex_extract")

# Keys under which a label matrix DataFrame remembers where it came from (DataFrame.attrs).
_JOB = "labelflight_job"
_LABELS = "labelflight_labels"
_INDEX = "labelflight_index"
DEFAULT_LOCATION = "grpc://127.0.0.1:8815"
# Row ranges an analysis or fit request carries in its JSON at most (the server takes up to 65,536); a subset
# of more runs travels as an Arrow column of row ids (DoPut ["selections", JOB]) instead.
MAX_ROW_RANGES = 4096


class _Shared:
    """Holds an object in ``DataFrame.attrs`` without pandas deep-copying it into every derived frame."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __deepcopy__(self, memo):
        return self

    def __eq__(self, other):
        return isinstance(other, _Shared) and other.value is self.value

    def __repr__(self) -> str:
        return "<labelflight row index>"


def connect(location: str | None = None, token: str | None = None, *,
            timeout: float | None = None, check: bool = True,
            tls_root_certs: bytes | str | None = None) -> "Client":
    """Connects to a LabelFlight server. ``token`` is the user's API token (sent as
    ``authorization: Bearer TOKEN`` on every call; ``bin/serve`` prints the dev user's). Left out, ``location``
    comes from the environment variable ``LABELFLIGHT_URL`` (else ``grpc://127.0.0.1:8815``) and ``token``
    from ``LABELFLIGHT_TOKEN``. For a server with TLS use ``grpc+tls://HOST:PORT``; ``tls_root_certs`` (PEM
    bytes, or a path to a PEM file) names the certificates to trust when the server's is not signed by a
    system CA. With ``check`` (default) a first call verifies that the server answers and accepts the token,
    so a wrong address fails here with ``Unavailable`` and a wrong token with ``Unauthenticated``."""
    if location is None:
        location = os.environ.get("LABELFLIGHT_URL") or DEFAULT_LOCATION
    if token is None:
        token = os.environ.get("LABELFLIGHT_TOKEN") or None
    client = Client(location, token=token, timeout=timeout, tls_root_certs=tls_root_certs)
    if check:
        client.actions()
    return client


class Client:
    """A connection to one LabelFlight server over Arrow Flight. Thread-safe as far as pyarrow's client is."""

    def __init__(self, location: str, token: str | None = None, timeout: float | None = None,
                 tls_root_certs: bytes | str | None = None):
        self.location = location
        headers = [(b"authorization", b"Bearer " + token.encode())] if token else []
        self._options = flight.FlightCallOptions(headers=headers, timeout=timeout)
        if isinstance(tls_root_certs, (str, os.PathLike)):
            with open(tls_root_certs, "rb") as f:
                tls_root_certs = f.read()
        self._tls_root_certs = tls_root_certs
        self._flight = self._connect()
        # Stored indexes by (dataset, version, created): a few, as their row count of values each.
        self._indexes: OrderedDict[tuple, pd.Index | None] = OrderedDict()

    def close(self) -> None:
        self._flight.close()


    def _connect(self) -> flight.FlightClient:
        try:
            return (flight.FlightClient(self.location, tls_root_certs=self._tls_root_certs) if self._tls_root_certs
                    else flight.FlightClient(self.location))
        except (pa.ArrowInvalid, pa.ArrowKeyError) as e:
            raise ValueError(f"{self.location!r} is not a Flight location such as grpc://127.0.0.1:8815 ({e})") from e

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"labelflight.Client({self.location!r})"

    # ---- plumbing ------------------------------------------------------------------------------

    def actions(self) -> list[str]:
        """Names of the actions the server offers."""
        with translated():
            return [a.type for a in self._flight.list_actions(options=self._options)]

    def _action(self, name: str, body: dict) -> dict:
        payload = json.dumps(body).encode()
        with translated():
            results = list(self._flight.do_action(flight.Action(name, payload), options=self._options))
        if not results:
            return {}
        return json.loads(results[0].body.to_pybytes())

    def _stream(self, ticket: str) -> Iterator[pa.RecordBatch]:
        with translated():
            reader = self._flight.do_get(flight.Ticket(ticket.encode()), options=self._options)
            for chunk in reader:
                yield chunk.data

    # ---- datasets ------------------------------------------------------------------------------

    def upload(self, data: Any, name: str, *, batch_rows: int | None = None, progress: bool = True,
               index: bool | None = None) -> int:
        """Stores ``data`` as the next version of dataset ``name`` and returns that version.

        ``data`` is a pandas DataFrame, a pyarrow Table / RecordBatch / RecordBatchReader, or the path of a
        Parquet (``.parquet``, ``.pq``) or CSV (``.csv``) file. It streams in record batches of about 8 MiB
        (or ``batch_rows`` rows), never held whole in memory as Arrow when it comes from a file; a DataFrame is
        converted to Arrow once when that fits in half the available memory, else slice by slice.

        The DataFrame's index is stored with the data (reserved columns ``__index_level_N__`` and the schema
        metadata ``labelflight.index``), and every result for the dataset (label matrices, streamed parts,
        probabilities, predictions, downloads) comes back indexed by it, so ``df["pred"] = model.predict()``
        aligns row for row whatever the frame's order or index type. The default ``RangeIndex`` is not
        stored (results are indexed by ``row_id``, the same numbers); ``index=True`` stores it anyway,
        ``index=False`` stores no index. Arrow and Parquet sources written from pandas keep theirs the same
        way. Dictionary columns are decoded, string views sent as strings, unsigned integers widened to the
        next signed type, float16 widened to float32, and columns of equal-length lists or numpy arrays of
        numbers (embeddings) sent as ``fixed_size_list<float32>`` vectors.
        """
        source = UploadSource.of(data, batch_rows, index)
        bar = _progress_bar(progress, source.total_rows, f"upload {name}")
        descriptor = flight.FlightDescriptor.for_path("datasets", name)
        with translated():
            writer, reader = self._flight.do_put(descriptor, source.schema, options=self._options)
            try:
                for batch in source.batches():
                    writer.write_batch(batch)
                    bar.update(batch.num_rows)
                writer.done_writing()
                ack = reader.read()
            except (pa.ArrowException, OSError):
                # The server's reason travels with the call's final status, which close() raises.
                writer.close()
                raise
            except BaseException as failure:
                # Our own failure mid-stream (a batch that does not convert, Ctrl-C): ending the call normally
                # would make the server store the rows sent so far as a version. An abort note first makes it
                # drop them (pyarrow's DoPut has no cancel).
                try:
                    writer.write_metadata(pa.py_buffer(json.dumps({"abort": str(failure)[:200]}).encode()))
                    writer.close()
                except (pa.ArrowException, OSError):
                    pass
                raise
            finally:
                bar.close()
            writer.close()
        if ack is None:
            raise InvalidRequest(f"the server acknowledged the upload of {name!r} without metadata")
        meta = json.loads(ack.to_pybytes())
        return int(meta["version"])

    def datasets(self) -> pd.DataFrame:
        """Every stored dataset version: name, version, rows, chunks, created, bytes."""
        rows = []
        with translated():
            for info in self._flight.list_flights(options=self._options):
                meta = _app_metadata(info)
                path = [p.decode() for p in info.descriptor.path]
                rows.append({
                    "name": meta.get("name", path[1] if len(path) > 1 else None),
                    "version": int(meta.get("version", path[2] if len(path) > 2 else 0)),
                    "rows": int(meta.get("rows", info.total_records)),
                    "chunks": int(meta.get("chunks", len(info.endpoints))),
                    "created": meta.get("created"),
                    "bytes": info.total_bytes,
                })
        frame = pd.DataFrame(rows, columns=["name", "version", "rows", "chunks", "created", "bytes"])
        frame["created"] = pd.to_datetime(frame["created"], utc=True, format="ISO8601")
        return frame.sort_values(["name", "version"], ignore_index=True)

    def drop_dataset(self, name: str) -> list[int]:
        """Deletes every version of a dataset and its cached labels; returns the versions dropped."""
        return self._action("drop_dataset", {"dataset": name})["versions"]

    def derive(self, dataset: str, name: str, kind: str, column: str = "text", *, pattern: str | None = None,
               version: int | None = None, replace: bool = False) -> dict:
        """Computes a derived column once on the server and stores it beside the data, for every LF to read
        as an ordinary column (Snorkel's preprocessors, memoized on disk).

        ``kind``: ``"lowercase"`` (``str.lower``), ``"length"`` (``len``), ``"token_count"``
        (``len(s.split())``) or ``"regex_extract"`` (first group of the RE2 ``pattern``, None without a
        match), over text ``column``; null rows stay null. ``name`` must be an identifier. Deriving the same
        definition again is a no-op; another definition under an existing name needs ``replace=True``.
        Returns ``{"dataset", "version", "column", "rows", "created", ...}``.
        """
        if kind not in DERIVED_KINDS:
            raise InvalidRequest(f"kind must be one of {', '.join(DERIVED_KINDS)}; got {kind!r}")
        body: dict[str, Any] = {"dataset": dataset, "name": name, "kind": kind, "column": column}
        if pattern is not None:
            body["pattern"] = pattern
        if version is not None:
            body["version"] = int(version)
        if replace:
            body["replace"] = True
        return self._action("derive", body)

    def download(self, name: str, version: int | None = None, *, as_arrow: bool = False,
                 columns: Sequence[str] | None = None):
        """A stored dataset version (default: the newest) as a DataFrame indexed as uploaded (see
        :meth:`upload`), or with ``as_arrow`` the pyarrow Table as stored (index columns included).
        ``columns`` reads only those columns."""
        if version is None:
            with translated():
                info = self._flight.get_flight_info(flight.FlightDescriptor.for_path("datasets", name),
                                                    options=self._options)
            ticket = info.endpoints[0].ticket.ticket.decode()
            schema = info.schema
        else:
            ticket = f"dataset/{name}@{int(version)}"
            schema = None
        meta = stored_index.stored_index(schema) if schema is not None else None
        if columns is not None:
            wanted = list(columns)
            if not as_arrow:
                if schema is None:
                    schema = self._dataset_info(name, int(version)).schema
                    meta = stored_index.stored_index(schema)
                if meta is not None:
                    wanted += [lv["field"] for lv in meta["levels"] if lv["field"] not in wanted]
            ticket += "?columns=" + ",".join(urllib.parse.quote(c, safe="") for c in wanted)
        with translated():
            table = self._flight.do_get(flight.Ticket(ticket.encode()), options=self._options).read_all()
        if as_arrow:
            return table
        meta = stored_index.stored_index(table.schema)
        restored = stored_index.restore(table, meta) if meta is not None else None
        if restored is not None:
            table = table.drop_columns([lv["field"] for lv in meta["levels"]])
        # One block per column (no consolidation copy of same-typed columns), freeing each Arrow column as it
        # is converted, so the download never holds two full copies.
        frame = table.to_pandas(split_blocks=True, self_destruct=True)
        frame.index = restored if restored is not None else pd.RangeIndex(len(frame))
        return frame

    def _dataset_info(self, name: str, version: int) -> flight.FlightInfo:
        with translated():
            return self._flight.get_flight_info(flight.FlightDescriptor.for_path("datasets", name, str(version)),
                                                options=self._options)

    def dataset_index(self, name: str, version: int) -> pd.Index | None:
        """The index a dataset version was uploaded with (see :meth:`upload`), or None when its rows are
        numbered by row id. Read once per version (only the index columns travel) and kept."""
        info = self._dataset_info(name, version)
        created = _app_metadata(info).get("created")
        key = (name, int(version), created)
        if created is not None and key in self._indexes:
            self._indexes.move_to_end(key)
            return self._indexes[key]
        meta = stored_index.stored_index(info.schema)
        restored = None
        if meta is not None:
            fields = [lv["field"] for lv in meta["levels"]]
            ticket = f"dataset/{name}@{int(version)}?columns=" + ",".join(urllib.parse.quote(f, safe="") for f in fields)
            with translated():
                table = self._flight.do_get(flight.Ticket(ticket.encode()), options=self._options).read_all()
            restored = stored_index.restore(table, meta)
        if created is not None:  # pyarrow < 17 shows no FlightInfo metadata: then no cache (a dropped and re-made
            self._indexes[key] = restored  # version would look the same)
        while len(self._indexes) > 8:
            self._indexes.popitem(last=False)
        return restored

    # ---- labeling ------------------------------------------------------------------------------

    def apply(self, dataset: str, lfs: "Sequence[LF | dict | Any] | LF | Any", *, labels: Sequence[str],
              version: int | None = None,
              mode: str | None = None, wait: bool = True, progress: bool = False, fault_tolerant: bool = False,
              multi_label: bool = False):
        """Applies ``lfs`` to ``dataset`` with class names ``labels`` (class i = labels[i], -1 = abstain).

        With ``wait`` (default) returns the label matrix: a DataFrame indexed by ``row_id`` with one int8
        column per LF (int16 above 127 classes), in LF order, whose ``.to_numpy()`` is Snorkel's ``L``;
        ``attrs["faults"]`` holds the faults per LF. With ``wait=False`` returns the running :class:`Job` at
        once; its labels stream chunk by chunk as they are done (``Client.labels(job, layout="sparse")`` gets
        only the votes, as a scipy matrix). ``fault_tolerant`` (as Snorkel's applier) makes every LF abstain
        on rows it fails on, counting them (:meth:`Job.faults`); without it such a row fails the job.
        With ``multi_label`` each LF votes on its own ``label`` only: 1 where ``vote`` is "positive" (the
        default), 0 where "negative", -1 where it abstains.

        ``lfs`` holds :class:`LF` objects (``lf.keyword(...)`` ...), their JSON dicts, or Snorkel
        ``LabelingFunction`` objects made from them (``lf.keyword(...).to_snorkel(labels)``, which carry
        the spec as ``labelflight_spec``); a lone LF needs no list. Other Python functions are refused with
        a clear error until the server runs Python LFs.
        """
        labels = [str(x) for x in labels] if not isinstance(labels, str) else [labels]
        if isinstance(lfs, (LF, dict)) or callable(lfs) or hasattr(lfs, "labelflight_spec"):
            lfs = [lfs]
        specs = [_spec(spec_of(lf, python_lf=self._python_lf), labels) for lf in lfs]
        if fault_tolerant:
            specs = [{**s, "faultTolerant": True} for s in specs]
        body: dict[str, Any] = {"dataset": dataset, "labels": labels, "lfs": specs}
        if version is not None:
            body["version"] = int(version)
        if mode is not None:
            body["mode"] = mode
        if multi_label:
            body["multiLabel"] = True
        job = Job(self, self._action("apply", body)["job"], labels, [s["name"] for s in specs],
                  may_fault=any(bool(s.get("faultTolerant")) for s in specs), dataset=dataset)
        return job if not wait else job.to_pandas(progress=progress)

    def _python_lf(self, function: Any) -> dict:
        """The spec of an LF given as a Python callable (a Snorkel ``LabelingFunction``, ``f(row)`` or a batch LF):
        the one place where Python-function LFs enter ``apply``; shipped by value with cloudpickle (see pyfunc)."""
        return pyfunc.to_spec(function)

    def job(self, job_id: str, labels: Sequence[str] | None = None) -> "Job":
        """A handle on an existing job (its LF names come from the server)."""
        status = self._action("job_status", {"job": job_id})
        return Job(self, job_id, list(labels or status.get("classes", [])), list(status.get("lfs", [])),
                   dataset=status.get("dataset"))

    def labels(self, job: "Job | str | pd.DataFrame", layout: str = "dense", *, format: str = "csr"):
        """A job's label matrix (waits for it to finish). ``layout="dense"``: the DataFrame ``apply`` returns.
        ``layout="sparse"``: only the votes travel, as (row_id, lf_index, label) batches, and come back as a
        ``scipy.sparse`` matrix (``format`` "csr", "csc" or "coo") of shape (rows, LFs) holding
        **label + 1**, so that an implicit 0 is an abstain, as in Snorkel's sparse label matrices:
        ``m.toarray() - 1`` is the dense ``L``. Rows and LFs without votes cost nothing."""
        if layout == "dense":
            return (job if isinstance(job, Job) else self.job(_job_id(job))).to_pandas()
        if layout != "sparse":
            raise ValueError(f"layout must be 'dense' or 'sparse', not {layout!r}")
        if format not in ("csr", "csc", "coo"):
            raise ValueError(f"format must be 'csr', 'csc' or 'coo', not {format!r}")
        import numpy as np
        import scipy.sparse as sp

        job_id = _job_id(job)
        rows, cols, values = [], [], []
        for batch in self._stream(f"labels/{job_id}?layout=sparse"):
            rows.append(batch.column(0).to_numpy())
            cols.append(batch.column(1).to_numpy())
            values.append(batch.column(2).to_numpy())
        status = self.status(job_id)
        shape = (int(status["rowsTotal"]), len(status["lfs"]))
        # Labels of up to 127 classes are int8 (at most 126, so label + 1 fits); above, int16.
        dtype = np.int16 if len(status.get("classes", [])) > 127 else np.int8
        data = np.concatenate(values).astype(dtype) + dtype(1) if values else np.zeros(0, dtype)
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        return sp.coo_matrix((data, (r, c)), shape=shape).asformat(format)

    def status(self, job: "Job | str | pd.DataFrame") -> dict:
        """The job's state and progress: state, chunksDone/chunksTotal, rowsDone/rowsTotal, ..."""
        return self._action("job_status", {"job": _job_id(job)})

    def faults(self, job: "Job | str | pd.DataFrame") -> dict[str, int]:
        """Rows each fault-tolerant LF failed on (and abstained), by LF name; LFs without faults are left
        out (Snorkel's ``ApplierMetadata.faults``)."""
        return {k: int(v) for k, v in self.status(job).get("faults", {}).items()}

    def cancel(self, job: "Job | str | pd.DataFrame") -> dict:
        """Cancels a running job (chunks already done stay readable); returns its status."""
        return self._action("cancel", {"job": _job_id(job)})

    # ---- the LF set and the dev set, shared with the web page ------------------------------------

    def lfset(self, dataset: str, version: int | None = None) -> "shared.LfSet | None":
        """The LF set of ``dataset`` as the web page and other clients saved it (its newest version, or
        ``version``), or None when there is none: ``.labels``, ``.lfs`` (specs as dicts), ``.gold``,
        ``.version`` and who saved it (``.user``, ``.source``, ``.saved``). Edit it and ``.save()``, or
        ``.apply()`` it."""
        return shared.lfset(self, dataset, version)

    def save_lfset(self, dataset: str, lfs: "Sequence[LF | dict]", *, labels: Sequence[str], gold: str | None = None,
                   base_version: int | None = None) -> "shared.LfSet":
        """Saves ``lfs`` (``lf.keyword(...)`` objects or dicts), ``labels`` and ``gold`` as the next version
        of the dataset's LF set, the one the web page shows. With ``base_version`` (the version you read),
        a set saved meanwhile by someone else is not overwritten: :class:`AlreadyExists` names it."""
        return shared.save_lfset(self, dataset, lfs, labels, gold, base_version)

    def lfset_history(self, dataset: str, limit: int = 50) -> pd.DataFrame:
        """The LF set's versions, newest first: when, by whom, from which client ("page", "python") and what
        changed (LFs added, changed, removed)."""
        return shared.lfset_history(self, dataset, limit)

    def dev_set(self, dataset: str, version: int | None = None) -> pd.DataFrame:
        """The hand-labelled dev set of a dataset version (default: the newest), as a DataFrame with one
        column ``label`` (class names) indexed like the uploaded frame (by ``row_id`` when it had no index),
        so ``df.loc[dev.index]`` are the labelled rows. Labels come from the web page or :meth:`label_dev`."""
        return shared.dev_set(self, dataset, version)

    def label_dev(self, dataset: str, labels: "pd.Series | dict", *, version: int | None = None) -> dict:
        """Adds hand labels to the dev set of a dataset version (default: the newest): ``labels`` maps rows,
        by the uploaded frame's index (row ids without one), to class names; None removes a row's label.
        Returns ``{"dataset", "version", "count", "changed"}``. The dev set is gold ``"@dev"`` for
        :meth:`analysis` and label-model selection, here and in the web page."""
        return shared.label_dev(self, dataset, labels, version)

    # ---- analysis and label models ---------------------------------------------------------------

    def analysis(self, job: "Job | str | pd.DataFrame", gold: str | None = None) -> pd.DataFrame:
        """Snorkel's ``LFAnalysis(L).lf_summary(Y)`` for a job or label matrix, computed by the server.

        Columns j, Polarity, Coverage, Overlaps, Conflicts and, with ``gold`` (a dataset column holding
        gold class indexes, or ``"@dev"``: the hand-labelled dev set, over exactly its rows), Correct,
        Incorrect, Emp. Acc.; indexed by LF name. ``attrs`` holds the
        totals (coverage, overlap, conflict of the whole matrix) and the row count.

        A subset of a label matrix (``L.iloc[:1000]``, ``L[mask]``, in any order) is analysed on exactly
        its rows: the server reads only them (see :meth:`row_ranges`).
        """
        body: dict[str, Any] = {"job": _job_id(job), **self._selection(job)}
        if gold is not None:
            if not isinstance(gold, str):
                raise TypeError("gold names the dataset column that holds the gold class indexes")
            body["gold"] = gold
        return summary_frame(self._action("analysis", body))

    def fit_label_model(self, job: "Job | str | pd.DataFrame", model: str = "majority", *,
                        name: str | None = None, gold: str | None = None,
                        tie_policy: str | None = None, seed: int | None = None,
                        class_balance: Sequence[float] | None = None, epochs: int | None = None,
                        base_model: "LabelModel | str | None" = None, partial_fit: str | None = None) -> "LabelModel":
        """Fits a label model on a job's label matrix on the server and stores it as ``NAME@vK``.

        ``model``: ``"majority"``, ``"weighted-majority"``, ``"dawid-skene"``, ``"generative"``, ``"snorkel"``
        (Snorkel's matrix-completion LabelModel), ``"triplet"`` (FlyingSquid-style), or ``"auto"``, which fits
        them all and picks by the dev rows of ``gold`` (a gold column, or ``"@dev"``: hand labels), reporting
        every candidate (``model.selection``); without gold the choice is unsupervised and says its rule.
        ``name`` names the stored model (default: the dataset's name; each fit is a new version). ``tie_policy``:
        abstain / random / prior (random keys on the row id and ``seed``, so chunking never changes a
        prediction). The fit's report (``model.fit``: loss per iteration, converged) and diagnostics
        (``model.diagnostics``) come back; their warnings are also raised as Python warnings.

        ``base_model`` with ``partial_fit="rows"`` adds this job's rows (same LFs) to a stored generative
        model; ``partial_fit="lfs"`` refits it on this job whose LFs start with the base model's. A subset of
        a label matrix (``L[mask]``) is fitted on exactly its rows (see :meth:`row_ranges`); the model then
        predicts every row of the job."""
        body: dict[str, Any] = {"job": _job_id(job), "model": model, **self._selection(job)}
        if (base_model is None) != (partial_fit is None):
            raise InvalidRequest("a partial fit needs both base_model and partial_fit")
        if base_model is not None:
            body["baseModel"] = base_model.id if isinstance(base_model, LabelModel) else str(base_model)
            body["partialFit"] = partial_fit
        for key, value in (("name", name), ("gold", gold), ("tiePolicy", tie_policy)):
            if value is not None:
                body[key] = value
        if seed is not None:
            body["seed"] = int(seed)
        if class_balance is not None:
            body["classBalance"] = [float(x) for x in class_balance]
        if epochs is not None:
            body["epochs"] = int(epochs)
        fitted = LabelModel.from_json(self, self._action("fit_label_model", body))
        for message in fitted.warnings:
            warnings.warn(message, LabelModelWarning, stacklevel=2)
        return fitted

    def models(self) -> pd.DataFrame:
        """Your stored label models: name, versions, kind, classes, created."""
        rows = self._action("models", {}).get("models", [])
        frame = pd.DataFrame(rows, columns=["name", "versions", "kind", "classes", "createdAt"])
        return frame.set_index("name")

    def model(self, name: str) -> "LabelModel":
        """A stored label model: ``NAME`` (its newest version) or ``NAME@vK``."""
        reply = self._action("model", {"model": name})
        reply.pop("document", None)
        return LabelModel.from_json(self, reply)

    def delete_model(self, name: str) -> list[int]:
        """Deletes a stored label model (every version, or one as ``NAME@vK``); returns the versions deleted."""
        return list(self._action("delete_model", {"model": name})["versions"])

    def import_model(self, source: "str | os.PathLike | dict", name: str | None = None) -> "LabelModel":
        """Stores an exported model (a JSON file written by ``model.save`` or the dict of ``model.to_dict()``)
        as the next version of ``name`` (default: its own name)."""
        document = source if isinstance(source, dict) else json.loads(open(source, encoding="utf-8").read())
        body: dict[str, Any] = {"document": document}
        if name is not None:
            body["name"] = name
        return LabelModel.from_json(self, self._action("import_model", body))

    def predict_proba(self, model: "LabelModel | str", job: "Job | str | pd.DataFrame | None" = None) -> pd.DataFrame:
        """Class probabilities per row of ``job`` (any job whose LFs include the model's, matched by name and
        spec hash; default: the job it was fitted on), indexed like the uploaded frame."""
        model_id, job_id = self._model_job(model, job)
        table = pa.Table.from_batches(list(self._stream(f"probs/{job_id}/{model_id}")))
        return _indexed(self.job(job_id) if not isinstance(job, Job) else job, table.to_pandas())

    def predict(self, model: "LabelModel | str", job: "Job | str | pd.DataFrame | None" = None) -> pd.Series:
        """The predicted class index per row of ``job`` under the model's tie policy (-1 where it abstains)."""
        model_id, job_id = self._model_job(model, job)
        table = pa.Table.from_batches(list(self._stream(f"preds/{job_id}/{model_id}")))
        frame = _indexed(self.job(job_id) if not isinstance(job, Job) else job, table.to_pandas())
        return frame["label"].astype(np.int16)

    def _model_job(self, model: "LabelModel | str", job: Any) -> tuple[str, str]:
        if isinstance(model, LabelModel):
            return model.id, _job_id(job) if job is not None else model.job
        if job is None:
            raise InvalidRequest("a model name needs the job to predict on")
        return str(model), _job_id(job)

    def row_ranges(self, matrix: Any) -> list[list[int]] | None:
        """The rows of a job that a label matrix DataFrame holds, as sorted ``[start, end)`` row-id ranges, or
        None when it holds every row (in any order). Its index says which rows (the dataset's stored index,
        or row ids); it must hold the job's LFs and each row at most once (a clear InvalidRequest otherwise:
        never the whole job silently)."""
        ids = self._row_ids(matrix)
        if ids is None:
            return None
        starts, ends = _runs(ids)
        return [[int(a), int(b)] for a, b in zip(starts, ends)]

    def _selection(self, matrix: Any) -> dict:
        """The request fields that restrict an analysis or fit to a label matrix's rows: none for the whole
        job, ``rowRanges`` for up to MAX_ROW_RANGES runs, else the id of the row ids uploaded as Arrow."""
        ids = self._row_ids(matrix)
        if ids is None:
            return {}
        starts, ends = _runs(ids)
        if len(starts) <= MAX_ROW_RANGES:
            return {"rowRanges": [[int(a), int(b)] for a, b in zip(starts, ends)]}
        table = pa.table({"row_id": pa.array(ids, pa.int64())})
        descriptor = flight.FlightDescriptor.for_path("selections", _job_id(matrix))
        with translated():
            writer, reader = self._flight.do_put(descriptor, table.schema, options=self._options)
            writer.write_table(table, max_chunksize=1 << 20)
            writer.done_writing()
            ack = reader.read()
            writer.close()
        return {"selection": json.loads(ack.to_pybytes())["selection"]}

    def _row_ids(self, matrix: Any) -> "np.ndarray | None":
        """The sorted row ids of a job that a label matrix DataFrame holds, or None for all of them."""
        if not isinstance(matrix, pd.DataFrame):
            return None
        job_id = _job_id(matrix)
        status = self.status(job_id)
        total = int(status["rowsTotal"])
        lfs = list(status.get("lfs", []))
        if list(matrix.columns) != lfs:
            raise InvalidRequest(f"this label matrix has the LFs {list(matrix.columns)}, its job {job_id} {lfs}: "
                                 "a subset of LFs cannot be analysed or fitted on the server; apply those LFs as a "
                                 "job of their own (cached LFs are not computed again)")
        shared = matrix.attrs.get(_INDEX)
        full = shared.value if isinstance(shared, _Shared) else self.dataset_index(status["dataset"],
                                                                                    int(status["version"]))
        if full is None:
            if len(matrix) == total and isinstance(matrix.index, pd.RangeIndex) and matrix.index.start == 0 \
                    and matrix.index.step == 1:
                return None
            if not pd.api.types.is_integer_dtype(matrix.index.dtype):
                raise InvalidRequest("this label matrix's index is not its job's row ids: keep the index c.apply "
                                     "gave it")
            ids = matrix.index.to_numpy(dtype=np.int64)
        else:
            if len(matrix) == total and matrix.index.equals(full):
                return None
            if not full.is_unique:
                raise InvalidRequest("the dataset's index has repeated values, so the rows of a subset of its "
                                     "label matrix are ambiguous: upload with a unique index to use subsets")
            ids = full.get_indexer(matrix.index)
            if (ids < 0).any():
                raise InvalidRequest("this label matrix holds rows that are not in its job")
            ids = ids.astype(np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= total):
            raise InvalidRequest(f"this label matrix holds row ids outside its job's {total} rows")
        ids = np.sort(ids)
        if len(ids) and (np.diff(ids) == 0).any():
            raise InvalidRequest("this label matrix holds a row more than once: a subset can hold each row once")
        if len(ids) == 0:
            raise InvalidRequest("this label matrix holds no rows")
        if len(ids) == total:
            return None
        return ids


class Job:
    """A running or finished apply job. Iterating it yields the label matrix chunk by chunk as DataFrames."""

    def __init__(self, client: Client, job_id: str, labels: list[str], lfs: list[str], may_fault: bool = True,
                 dataset: str | None = None):
        self.client = client
        self.id = job_id
        self.labels = labels
        self.lfs = lfs
        self.dataset = dataset
        # False when no LF is fault-tolerant: faults are then always none, and to_pandas saves a round trip.
        self._may_fault = may_fault
        self._index: tuple[pd.Index | None] | None = None

    def index(self) -> pd.Index | None:
        """The index of the job's dataset version as uploaded, or None when rows are numbered by row id."""
        if self._index is None:
            status = self.status()
            self.dataset = status.get("dataset", self.dataset)
            self._index = (self.client.dataset_index(status["dataset"], int(status["version"])),)
        return self._index[0]

    def __repr__(self) -> str:
        return f"labelflight.Job({self.id!r}, lfs={self.lfs!r})"

    def status(self) -> dict:
        return self.client.status(self.id)

    def cancel(self) -> dict:
        return self.client.cancel(self.id)

    def faults(self) -> dict[str, int]:
        """Faults per fault-tolerant LF so far (rows it failed on and abstained), by LF name."""
        return self.client.faults(self.id)

    def wait(self, timeout: float | None = None, poll: float = 0.05) -> dict:
        """Blocks until the job ends (or ``timeout`` seconds pass); returns its last status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status()
            if status["state"] in TERMINAL_STATES or (deadline is not None and time.monotonic() >= deadline):
                return status
            time.sleep(poll)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The labels as Arrow record batches (row_id + one int8 column per LF), in row order, each as soon
        as its chunk is done. Raises Cancelled / ServerError if the job ends early."""
        return self.client._stream(f"labels/{self.id}")

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for batch in self.batches():
            yield self._frame(batch.to_pandas())

    def to_arrow(self) -> pa.Table:
        """The whole label matrix as an Arrow table (waits for the job to finish)."""
        return pa.Table.from_batches(list(self.batches()))

    def to_sparse(self, format: str = "csr"):
        """The label matrix as a ``scipy.sparse`` matrix of label + 1 (0 = abstain), from the sparse
        layout: only the votes travel (see ``Client.labels``)."""
        return self.client.labels(self.id, layout="sparse", format=format)

    def to_pandas(self, progress: bool = False) -> pd.DataFrame:
        """The whole label matrix (waits for the job to finish)."""
        total = self.status().get("rowsTotal") if progress else None
        bar = _progress_bar(progress, total, f"apply {self.id}")
        batches = []
        try:
            for batch in self.batches():
                batches.append(batch)
                bar.update(batch.num_rows)
        finally:
            bar.close()
        if batches:
            table = pa.Table.from_batches(batches)
        else:
            schema = pa.schema([("row_id", pa.int64())] + [(n, pa.int8()) for n in self.lfs])
            table = schema.empty_table()
        frame = self._frame(table.to_pandas())
        frame.attrs["faults"] = self.faults() if self._may_fault else {}
        return frame

    def _frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = _indexed(self, frame)
        frame.attrs[_JOB] = self.id
        frame.attrs[_LABELS] = list(self.labels)
        full = self.index()
        if full is not None:
            frame.attrs[_INDEX] = _Shared(full)
        return frame


def _app_metadata(info: flight.FlightInfo) -> dict:
    """The JSON app metadata of a FlightInfo ({} before pyarrow 17, which does not expose it)."""
    raw = getattr(info, "app_metadata", None)
    try:
        return json.loads(bytes(raw).decode() or "{}") if raw else {}
    except ValueError:
        return {}


def _runs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of consecutive values in sorted unique ``ids``."""
    breaks = np.flatnonzero(np.diff(ids) != 1) + 1
    return np.concatenate([[ids[0]], ids[breaks]]), np.concatenate([ids[breaks - 1] + 1, [ids[-1] + 1]])


def _indexed(job: "Job", frame: pd.DataFrame) -> pd.DataFrame:
    """A result frame with a ``row_id`` column indexed by the dataset's stored index at those rows (or by
    ``row_id`` when the dataset has none)."""
    full = job.index()
    if full is None:
        return frame.set_index("row_id")
    ids = frame["row_id"].to_numpy()
    frame = frame.drop(columns=["row_id"])
    frame.index = stored_index.take(full, ids)
    return frame


class LabelModelWarning(UserWarning):
    """A fitted label model's diagnostics advise caution (low agreement with majority vote, degenerate balance)."""


@dataclass
class LabelModel:
    """A label model stored on the server as ``name@v{version}`` (``id``): the job it was fitted on, its kind,
    classes, class balance, LF weights (learned accuracies), rows fitted on, the fit report, diagnostics and,
    for ``auto``, the selection with every candidate's dev scores."""

    id: str
    job: str
    kind: str
    classes: list[str]
    class_balance: list[float]
    weights: list[float]
    client: Client = field(repr=False, compare=False)
    rows: int | None = None
    name: str | None = None
    version: int | None = None
    fit: dict = field(default_factory=dict, repr=False)
    diagnostics: dict = field(default_factory=dict, repr=False)
    selection: dict | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def from_json(cls, client: Client, reply: dict) -> "LabelModel":
        return cls(id=reply["model"], job=reply["job"], kind=reply.get("kind", ""),
                   classes=list(reply.get("classes", [])), class_balance=list(reply.get("classBalance", [])),
                   weights=list(reply.get("weights", [])), client=client, rows=reply.get("rows"),
                   name=reply.get("name"), version=reply.get("version"), fit=dict(reply.get("fit") or {}),
                   diagnostics=dict(reply.get("diagnostics") or {}), selection=reply.get("selection"),
                   warnings=list(reply.get("warnings") or []))

    @property
    def converged(self) -> bool | None:
        return self.fit.get("converged")

    def candidates(self) -> pd.DataFrame:
        """For ``auto``: every candidate kind with its dev accuracy and log-loss (or why it was skipped)."""
        if not self.selection:
            raise InvalidRequest(f"{self.id} was fitted as {self.kind!r}, not 'auto'")
        return pd.DataFrame(self.selection["candidates"]).set_index("kind")

    def predict_proba(self, job: "Job | str | pd.DataFrame | None" = None) -> pd.DataFrame:
        """Probabilities on ``job`` (default: the job it was fitted on; any job with its LFs)."""
        return self.client.predict_proba(self, job)

    def predict(self, job: "Job | str | pd.DataFrame | None" = None) -> pd.Series:
        """Predicted class indexes on ``job`` under the model's tie policy (-1 where it abstains)."""
        return self.client.predict(self, job)

    def to_dict(self) -> dict:
        """The exportable document (format labelflight.labelmodel/1): parameters, label space, LFs and their
        spec hashes, training data, settings and metrics; :class:`OfflineLabelModel` predicts from it."""
        return self.client._action("model", {"model": self.id})["document"]

    def save(self, path: "str | os.PathLike") -> None:
        """Writes :meth:`to_dict` as a JSON file (import it with ``Client.import_model``)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f)

    def offline(self) -> "OfflineLabelModel":
        """The model for predicting with numpy alone, without the server."""
        from .offline import OfflineLabelModel
        return OfflineLabelModel(self.to_dict())

    def delete(self) -> list[int]:
        """Deletes this version from the server."""
        return self.client.delete_model(self.id)


def summary_frame(reply: dict) -> "pd.DataFrame | dict[str, pd.DataFrame]":
    """The analysis action's JSON as Snorkel's lf_summary DataFrame; for a multi-label job, a dict of one
    such DataFrame per class (over the LFs about that class; ``j`` is the LF's index in the job)."""
    if reply.get("multiLabel"):
        return {entry["class"]: summary_frame({**entry, "rows": reply.get("rows")}) for entry in reply["classes"]}
    rows, names = [], []
    for lf in reply.get("lfs", []):
        names.append(lf["name"])
        row = {"j": int(lf["j"]), "Polarity": sorted(int(p) for p in lf.get("polarity", [])),
               "Coverage": float(lf["coverage"]), "Overlaps": float(lf["overlaps"]),
               "Conflicts": float(lf["conflicts"])}
        if "correct" in lf:
            acc = lf.get("emp_acc")
            row.update({"Correct": int(lf["correct"]), "Incorrect": int(lf["incorrect"]),
                        "Emp. Acc.": float("nan") if acc is None else float(acc)})
        rows.append(row)
    frame = pd.DataFrame(rows, index=pd.Index(names, name=None))
    frame.attrs["totals"] = dict(reply.get("totals", {}))
    frame.attrs["rows"] = reply.get("rows")
    return frame


def _job_id(job: Any) -> str:
    if isinstance(job, Job):
        return job.id
    if isinstance(job, str):
        return job
    if isinstance(job, pd.DataFrame):
        if _JOB not in job.attrs:
            raise InvalidRequest("this DataFrame does not come from Client.apply (no job id in .attrs); "
                                 "pass the Job or its id")
        return job.attrs[_JOB]
    raise TypeError(f"expected a Job, a job id or a label matrix from Client.apply, not {type(job).__name__}")


def _spec(lf: LF | dict, labels: list[str]) -> dict:
    if pyfunc.is_python_lf(lf):  # a Snorkel LabelingFunction, f(row) or a batch LF: see pyfunc
        return pyfunc.to_spec(lf)
    spec = lf.to_dict() if isinstance(lf, LF) else dict(lf)
    label = spec.get("label")
    if isinstance(label, int) and not isinstance(label, bool):
        if not 0 <= label < len(labels):
            raise InvalidRequest(f"LF {spec.get('name')!r}: label index {label} is outside labels {labels}")
        spec["label"] = labels[label]
    return spec


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(enabled: bool, total: int | None, desc: str):
    if not enabled or os.environ.get("LABELFLIGHT_NO_PROGRESS"):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="rows", unit_scale=True, leave=False)
