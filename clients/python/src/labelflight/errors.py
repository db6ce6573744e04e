"""Exceptions raised by the client: one class per Flight status, each carrying the server's message and the
structured details the server sends with it.

The server puts ``{"code": KIND, "message": TEXT, "details": {...}}`` (UTF-8 JSON) into the Flight status's
extra info (pyarrow's ``FlightError.extra_info``); the exception is built from it: its class from ``code``
(``LabelFlightException.Kind`` on the server), ``e.details`` the details, with ``e.lf``, ``e.row``, ``e.limit``
for the common keys. Only for a server that sends no details is the class guessed from pyarrow's rendering
of the status (the text fallback below).
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any, Mapping

import pyarrow as pa
import pyarrow.flight as flight

__all__ = [
    "LabelFlightError",
    "InvalidRequest",
    "InvalidLF",
    "UnknownAction",
    "NotFound",
    "AlreadyExists",
    "ResourceExhausted",
    "Unavailable",
    "Cancelled",
    "TimedOut",
    "Unauthenticated",
    "PermissionDenied",
    "Unimplemented",
    "ServerError",
]


class LabelFlightError(Exception):
    """Base of every error the server reports. ``message`` is the server's text, ``code`` its status,
    ``details`` the structured facts it sent (``{}`` from servers that send none): ``lf`` (the LF at fault),
    ``lfKind``, ``row`` (row id), ``limit``/``requested``/``unit``, ``field``, ``dataset``, ``job``."""

    code = "UNKNOWN"

    def __init__(self, message: str, code: str | None = None, details: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})

    @property
    def lf(self) -> str | None:
        """The name of the LF at fault, if the error is about one."""
        return self.details.get("lf")

    @property
    def row(self) -> int | None:
        """The row id at fault (0-based position in the dataset version), if any."""
        row = self.details.get("row")
        return None if row is None else int(row)

    @property
    def limit(self) -> Any:
        """The limit that was passed (in the unit ``details["unit"]`` names), if any."""
        return self.details.get("limit")

    def __str__(self) -> str:
        return self.message


class InvalidRequest(LabelFlightError, ValueError):
    """INVALID_ARGUMENT: the request (body, dataset, schema, label space) is wrong."""

    code = "INVALID_ARGUMENT"


class InvalidLF(InvalidRequest):
    """INVALID_ARGUMENT about one labeling function; the message names the LF."""


class UnknownAction(InvalidRequest):
    """The server does not know this action (an older server, or a feature not deployed there)."""


class NotFound(LabelFlightError, LookupError):
    """NOT_FOUND: no such dataset, version, job or model."""

    code = "NOT_FOUND"


class AlreadyExists(LabelFlightError):
    """ALREADY_EXISTS."""

    code = "ALREADY_EXISTS"


class ResourceExhausted(LabelFlightError):
    """RESOURCE_EXHAUSTED: a memory budget or limit was reached; retry later or with less."""

    code = "RESOURCE_EXHAUSTED"


class Unavailable(LabelFlightError, ConnectionError):
    """UNAVAILABLE: the server cannot be reached or is shutting down."""

    code = "UNAVAILABLE"


class Cancelled(LabelFlightError):
    """CANCELLED: the call or the job was cancelled."""

    code = "CANCELLED"


class TimedOut(LabelFlightError, TimeoutError):
    """TIMED_OUT / DEADLINE_EXCEEDED."""

    code = "TIMED_OUT"


class Unauthenticated(LabelFlightError):
    """UNAUTHENTICATED: missing or wrong token."""

    code = "UNAUTHENTICATED"


class PermissionDenied(LabelFlightError):
    """UNAUTHORIZED / PERMISSION_DENIED."""

    code = "UNAUTHORIZED"


class Unimplemented(LabelFlightError, NotImplementedError):
    """UNIMPLEMENTED."""

    code = "UNIMPLEMENTED"


class ServerError(LabelFlightError):
    """INTERNAL or UNKNOWN: the server failed; the message says how."""

    code = "INTERNAL"


# Arrow's C++ client renders a status as "Flight returned <code> error, with message: <text>"
# (or "gRPC returned ..." for codes without a Flight equivalent) and may append debug context.
_MESSAGE = re.compile(
    r"(?:Flight|gRPC) (?:returned (?P<code>[a-z -]+?) error, with|(?P<cancelled>cancelled) call, with"
    r"|RPC failed with|failed with error code \d+ and) message: (?P<text>.*)", re.S)
_TRAILERS = re.compile(r"(\. gRPC client debug context:.*|\. Client context:.*|\. Detail: [A-Za-z]+$)", re.S)

_BY_PHRASE = {
    "invalid argument": InvalidRequest,
    "not found": NotFound,
    "already exists": AlreadyExists,
    "resource exhausted": ResourceExhausted,
    "unavailable": Unavailable,
    "cancelled": Cancelled,
    "timeout": TimedOut,
    "timed out": TimedOut,
    "unauthenticated": Unauthenticated,
    "unauthorized": PermissionDenied,
    "unimplemented": Unimplemented,
    "internal": ServerError,
    "unknown": ServerError,
}

_BY_CLASS = [
    (flight.FlightCancelledError, Cancelled),
    (flight.FlightTimedOutError, TimedOut),
    (flight.FlightUnavailableError, Unavailable),
    (flight.FlightUnauthenticatedError, Unauthenticated),
    (flight.FlightUnauthorizedError, PermissionDenied),
    (flight.FlightInternalError, ServerError),
    (flight.FlightServerError, ServerError),
    (pa.ArrowNotImplementedError, Unimplemented),
    (pa.ArrowKeyError, NotFound),
    (pa.ArrowInvalid, InvalidRequest),
]


def server_message(text: str) -> str:
    """The server's own message inside pyarrow's rendering of a Flight status."""
    m = _MESSAGE.search(text)
    body = m.group("text") if m else text
    return _TRAILERS.sub("", body).strip()


# The server's LabelFlightException.Kind (and Flight status names) -> exception class.
_BY_KIND = {
    "INVALID_ARGUMENT": InvalidRequest,
    "NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "UNAVAILABLE": Unavailable,
    "CANCELLED": Cancelled,
    "TIMED_OUT": TimedOut,
    "DEADLINE_EXCEEDED": TimedOut,
    "UNAUTHENTICATED": Unauthenticated,
    "UNAUTHORIZED": PermissionDenied,
    "PERMISSION_DENIED": PermissionDenied,
    "UNIMPLEMENTED": Unimplemented,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
}


def structured(error: BaseException) -> dict | None:
    """The server's ``{"code", "message", "details"}`` carried in a Flight error's extra info, or None."""
    raw = getattr(error, "extra_info", None)
    if not raw:
        return None
    try:
        parsed = json.loads(bytes(raw).decode("utf-8"))
    except (ValueError, TypeError):
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("code"), str):
        return None
    details = parsed.get("details")
    return {"code": parsed["code"], "message": parsed.get("message"),
            "details": details if isinstance(details, dict) else {}}


def _refine(cls: type, message: str, details: Mapping[str, Any]) -> type:
    """InvalidLF for an invalid request about one LF, UnknownAction for an action the server lacks."""
    if cls is InvalidRequest:
        if message.startswith("unknown action '"):
            return UnknownAction
        if details.get("lf") is not None or message.startswith("LF '") or message.startswith("lfs["):
            return InvalidLF
    return cls


def translate(error: BaseException) -> LabelFlightError | None:
    """The LabelFlightError for a pyarrow Flight failure, or None if it did not come from the server."""
    info = structured(error)
    if info is not None:
        message = info["message"] if isinstance(info["message"], str) else server_message(str(error))
        cls = _BY_KIND.get(info["code"].upper(), ServerError)
        return _refine(cls, message, info["details"])(message, info["code"].upper(), info["details"])
    # No structured details (an older server, or a failure before the server answered): read the text.
    text = str(error)
    m = _MESSAGE.search(text)
    cls = _BY_PHRASE.get(m.group("code") or m.group("cancelled") or "unknown") if m else None
    if cls is None:
        if not isinstance(error, flight.FlightError) and m is None:
            return None
        cls = next((c for t, c in _BY_CLASS if isinstance(error, t)), ServerError)
    message = server_message(text)
    return _refine(cls, message, {})(message)


@contextlib.contextmanager
def translated():
    """Re-raises Flight failures raised inside the block as LabelFlightError subclasses."""
    try:
        yield
    except LabelFlightError:
        raise
    except (pa.ArrowException, OSError) as e:
        mapped = translate(e)
        if mapped is None:
            raise
        raise mapped from e
