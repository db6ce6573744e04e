"""Exceptions raised by the client: one class per Flight status, each carrying the server's message."""

from __future__ import annotations

import contextlib
import re

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
    """Base of every error the server reports. ``message`` is the server's text, ``code`` its Flight status."""

    code = "UNKNOWN"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

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


def translate(error: BaseException) -> LabelFlightError | None:
    """The LabelFlightError for a pyarrow Flight failure, or None if it did not come from the server."""
    text = str(error)
    m = _MESSAGE.search(text)
    cls = _BY_PHRASE.get(m.group("code") or m.group("cancelled") or "unknown") if m else None
    if cls is None:
        if not isinstance(error, flight.FlightError) and m is None:
            return None
        cls = next((c for t, c in _BY_CLASS if isinstance(error, t)), ServerError)
    message = server_message(text)
    if cls is InvalidRequest:
        if message.startswith("unknown action '"):
            cls = UnknownAction
        elif message.startswith("LF '") or message.startswith("lfs["):
            cls = InvalidLF
    return cls(message)


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
