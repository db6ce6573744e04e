"""The LabelFlight client: datasets in, label matrices, LF summaries and label-model probabilities out."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.flight as flight

from .errors import InvalidRequest, translated
from . import pyfunc
from .lfs import LF
from .upload import UploadSource

__all__ = ["Client", "Job", "LabelModel", "connect", "TERMINAL_STATES"]

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
# Kinds of Client.derive.
DERIVED_KINDS = ("lowercase", "length", "token_count", "regex_extract")

# Keys under which a label matrix DataFrame remembers where it came from (DataFrame.attrs).
_JOB = "labelflight_job"
_LABELS = "labelflight_labels"


def connect(location: str = "grpc://127.0.0.1:8815", token: str | None = None, *,
            timeout: float | None = None, check: bool = True,
            tls_root_certs: bytes | str | None = None) -> "Client":
    """Connects to a LabelFlight server. ``token`` is the user's API token (sent as
    ``authorization: Bearer TOKEN`` on every call; ``bin/serve`` prints the dev user's). For a server
    with TLS use ``grpc+tls://HOST:PORT``; ``tls_root_certs`` (PEM bytes, or a path to a PEM file)
    names the certificates to trust when the server's is not signed by a system CA. With ``check``
    (default) a first call verifies that the server answers and accepts the token, so a wrong address
    fails here with ``Unavailable`` and a wrong token with ``Unauthenticated``."""
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
        try:
            self._flight = (flight.FlightClient(location, tls_root_certs=tls_root_certs) if tls_root_certs
                            else flight.FlightClient(location))
        except (pa.ArrowInvalid, pa.ArrowKeyError) as e:
            raise ValueError(f"{location!r} is not a Flight location such as grpc://127.0.0.1:8815 ({e})") from e

    def close(self) -> None:
        self._flight.close()

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

    def upload(self, data: Any, name: str, *, batch_rows: int | None = None, progress: bool = True) -> int:
        """Stores ``data`` as the next version of dataset ``name`` and returns that version.

        ``data`` is a pandas DataFrame, a pyarrow Table / RecordBatch / RecordBatchReader, or the path of a
        Parquet (``.parquet``, ``.pq``) or CSV (``.csv``) file. It streams in record batches of about 8 MiB
        (or ``batch_rows`` rows), never held whole in memory as Arrow when it comes from a file; a DataFrame is
        converted to Arrow once when that fits in half the available memory, else slice by slice. The index
        of a DataFrame is not uploaded; the server numbers rows itself (``row_id``). Dictionary columns are
        decoded, unsigned integers widened to the next signed type, float16 widened to float32.
        """
        source = UploadSource.of(data, batch_rows)
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
                meta = json.loads(info.app_metadata.decode() or "{}") if info.app_metadata else {}
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

    def download(self, name: str, version: int | None = None, *, as_arrow: bool = False):
        """A stored dataset version (default: the newest) as a DataFrame, or a pyarrow Table with as_arrow."""
        if version is None:
            with translated():
                info = self._flight.get_flight_info(flight.FlightDescriptor.for_path("datasets", name),
                                                    options=self._options)
            ticket = info.endpoints[0].ticket.ticket.decode()
        else:
            ticket = f"dataset/{name}@{int(version)}"
        with translated():
            table = self._flight.do_get(flight.Ticket(ticket.encode()), options=self._options).read_all()
        if as_arrow:
            return table
        # One block per column (no consolidation copy of same-typed columns), freeing each Arrow column as it
        # is converted, so the download never holds two full copies.
        return table.to_pandas(split_blocks=True, self_destruct=True)

    # ---- labeling ------------------------------------------------------------------------------

    def apply(self, dataset: str, lfs: Sequence[LF | dict], *, labels: Sequence[str], version: int | None = None,
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
        """
        labels = [str(x) for x in labels] if not isinstance(labels, str) else [labels]
        specs = [_spec(lf, labels) for lf in lfs]
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
                  may_fault=any(bool(s.get("faultTolerant")) for s in specs))
        return job if not wait else job.to_pandas(progress=progress)

    def job(self, job_id: str, labels: Sequence[str] | None = None) -> "Job":
        """A handle on an existing job (its LF names come from the server)."""
        status = self._action("job_status", {"job": job_id})
        return Job(self, job_id, list(labels or []), list(status.get("lfs", [])))

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

    # ---- analysis and label models ---------------------------------------------------------------

    def analysis(self, job: "Job | str | pd.DataFrame", gold: str | None = None) -> pd.DataFrame:
        """Snorkel's ``LFAnalysis(L).lf_summary(Y)`` for a job or label matrix, computed by the server.

        Columns j, Polarity, Coverage, Overlaps, Conflicts and, with ``gold`` (a dataset column holding
        gold class indexes), Correct, Incorrect, Emp. Acc.; indexed by LF name. ``attrs`` holds the
        totals (coverage, overlap, conflict of the whole matrix) and the row count.
        """
        body: dict[str, Any] = {"job": _job_id(job)}
        if gold is not None:
            if not isinstance(gold, str):
                raise TypeError("gold names the dataset column that holds the gold class indexes")
            body["gold"] = gold
        return summary_frame(self._action("analysis", body))

    def fit_label_model(self, job: "Job | str | pd.DataFrame", model: str = "majority", *,
                        tie_policy: str | None = None, seed: int | None = None,
                        class_balance: Sequence[float] | None = None, epochs: int | None = None,
                        base_model: "LabelModel | str | None" = None, partial_fit: str | None = None) -> "LabelModel":
        """Fits a label model on a job's label matrix on the server: ``"majority"`` (majority vote;
        ``tie_policy`` abstain / random / true-random) or ``"generative"`` (Snorkel-style).

        ``base_model`` with ``partial_fit="rows"`` adds this job's rows (same LFs) to a generative model
        fitted earlier; ``partial_fit="lfs"`` refits it on this job whose LFs start with the base model's."""
        body: dict[str, Any] = {"job": _job_id(job), "model": model}
        if (base_model is None) != (partial_fit is None):
            raise InvalidRequest("a partial fit needs both base_model and partial_fit")
        if base_model is not None:
            body["baseModel"] = base_model.id if isinstance(base_model, LabelModel) else str(base_model)
            body["partialFit"] = partial_fit
        if tie_policy is not None:
            body["tiePolicy"] = tie_policy
        if seed is not None:
            body["seed"] = int(seed)
        if class_balance is not None:
            body["classBalance"] = [float(x) for x in class_balance]
        if epochs is not None:
            body["epochs"] = int(epochs)
        return LabelModel.from_json(self, self._action("fit_label_model", body))

    def predict_proba(self, model: "LabelModel | str", job: "Job | str | pd.DataFrame | None" = None) -> pd.DataFrame:
        """Class probabilities per row: a DataFrame indexed by ``row_id``, one float32 column per class."""
        if isinstance(model, LabelModel):
            model_id, job_id = model.id, _job_id(job) if job is not None else model.job
        else:
            if job is None:
                raise InvalidRequest("predict_proba with a model id needs the job too")
            model_id, job_id = str(model), _job_id(job)
        table = pa.Table.from_batches(list(self._stream(f"probs/{job_id}/{model_id}")))
        return table.to_pandas().set_index("row_id")


class Job:
    """A running or finished apply job. Iterating it yields the label matrix chunk by chunk as DataFrames."""

    def __init__(self, client: Client, job_id: str, labels: list[str], lfs: list[str], may_fault: bool = True):
        self.client = client
        self.id = job_id
        self.labels = labels
        self.lfs = lfs
        # False when no LF is fault-tolerant: faults are then always none, and to_pandas saves a round trip.
        self._may_fault = may_fault

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
        frame = frame.set_index("row_id")
        frame.attrs[_JOB] = self.id
        frame.attrs[_LABELS] = list(self.labels)
        return frame


@dataclass
class LabelModel:
    """A label model fitted on the server: its id, the job it was fitted on, classes, balance and LF weights."""

    id: str
    job: str
    kind: str
    classes: list[str]
    class_balance: list[float]
    weights: list[float]
    client: Client = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, client: Client, reply: dict) -> "LabelModel":
        return cls(id=reply["model"], job=reply["job"], kind=reply.get("kind", ""),
                   classes=list(reply.get("classes", [])), class_balance=list(reply.get("classBalance", [])),
                   weights=list(reply.get("weights", [])), client=client)

    def predict_proba(self, job: "Job | str | pd.DataFrame | None" = None) -> pd.DataFrame:
        return self.client.predict_proba(self, job)

    def predict(self, job: "Job | str | pd.DataFrame | None" = None) -> pd.Series:
        """The most probable class index per row (-1 where the top classes tie, as Snorkel's abstain policy)."""
        frame = self.predict_proba(job)
        probs = frame.to_numpy()
        best = probs.argmax(axis=1)
        ties = (probs == probs.max(axis=1)[:, None]).sum(axis=1) > 1
        best[ties] = -1
        return pd.Series(best, index=frame.index, name="label")


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
