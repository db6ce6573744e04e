"""pyarrow's renderings of Flight statuses map to the right LabelFlightError with the server's message intact."""

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import labelflight as lf
from labelflight.errors import translate, translated


@pytest.mark.parametrize("raised, expected, message", [
    (pa.ArrowInvalid("Flight returned invalid argument error, with message: 'lfs' must be a list"),
     lf.InvalidRequest, "'lfs' must be a list"),
    (pa.ArrowInvalid("Flight returned invalid argument error, with message: LF 'x' (regex): invalid regex: `(`"),
     lf.InvalidLF, "LF 'x' (regex): invalid regex: `(`"),
    (pa.ArrowInvalid("Flight returned invalid argument error, with message: unknown action 'analysis' (known: apply)"),
     lf.UnknownAction, "unknown action 'analysis' (known: apply)"),
    (pa.ArrowKeyError("Flight returned not found error, with message: job 'zzz' not found. gRPC client debug "
                      "context: NOT_FOUND:job 'zzz' not found. Client context: IOError: Server never sent a data "
                      "message. Detail: Internal"),
     lf.NotFound, "job 'zzz' not found"),
    (pa.ArrowInvalid("gRPC returned resource exhausted error, with message: memory budget of 10 MiB exhausted"),
     lf.ResourceExhausted, "memory budget of 10 MiB exhausted"),
    (flight.FlightUnavailableError("Flight returned unavailable error, with message: failed to connect"),
     lf.Unavailable, "failed to connect"),
    (flight.FlightCancelledError("Flight cancelled call, with message: job j cancelled: cancelled"),
     lf.Cancelled, "job j cancelled: cancelled"),
    (flight.FlightInternalError("Flight returned internal error, with message: job j failed: disk full"),
     lf.ServerError, "job j failed: disk full"),
    (flight.FlightTimedOutError("Flight returned timeout error, with message: no answer within 60000 ms"),
     lf.TimedOut, "no answer within 60000 ms"),
    (OSError("Flight returned unavailable error, with message: unavailable. Detail: Unavailable"),
     lf.Unavailable, "unavailable"),
])
def test_flight_statuses_map_to_exceptions(raised, expected, message):
    """Verifies the class and the message of the translated error for each status rendering."""
    error = translate(raised)
    assert type(error) is expected
    assert str(error) == message
    assert isinstance(error, lf.LabelFlightError)


def test_local_errors_pass_through_untouched():
    """Verifies that pyarrow errors that did not come from the server are not disguised as server errors."""
    with pytest.raises(pa.ArrowTypeError):
        with translated():
            raise pa.ArrowTypeError("Expected bytes, got a 'int' object")


def test_errors_are_also_standard_python_errors():
    """Verifies that callers can catch the usual built-in classes too."""
    assert issubclass(lf.InvalidLF, ValueError)
    assert issubclass(lf.NotFound, LookupError)
    assert issubclass(lf.Unavailable, ConnectionError)
    assert issubclass(lf.TimedOut, TimeoutError)


def _flight_error(cls, text, payload):
    """A pyarrow Flight error as a server sending structured details produces it (extra_info = the JSON)."""
    import json as _json
    return cls(text, extra_info=_json.dumps(payload).encode() if isinstance(payload, dict) else payload)


@pytest.mark.parametrize("raised, expected, attrs", [
    # The status class pyarrow picks says nothing reliable (INVALID_ARGUMENT with details arrives as a
    # FlightServerError): the JSON code decides.
    (_flight_error(flight.FlightServerError, "Flight returned invalid argument error, with message: LF 'x' failed",
                   {"code": "INVALID_ARGUMENT", "message": "LF 'x' (expression) failed on row 41: / by zero",
                    "details": {"lf": "x", "lfKind": "expression", "row": 41}}),
     lf.InvalidLF, {"lf": "x", "row": 41, "limit": None, "message": "LF 'x' (expression) failed on row 41: / by zero"}),
    (_flight_error(flight.FlightServerError, "anything",
                   {"code": "RESOURCE_EXHAUSTED", "message": "value of 2097152 bytes in column 'text'",
                    "details": {"limit": 1048576, "requested": 2097152, "unit": "bytes", "field": "text"}}),
     lf.ResourceExhausted, {"lf": None, "row": None, "limit": 1048576}),
    (_flight_error(flight.FlightServerError, "Flight returned not found error, with message: job 'j' not found",
                   {"code": "NOT_FOUND", "message": "job 'j' not found", "details": {"job": "j"}}),
     lf.NotFound, {"message": "job 'j' not found"}),
    (_flight_error(flight.FlightTimedOutError, "t", {"code": "TIMED_OUT", "message": "LF 'slow' took longer than 100 ms",
                                                     "details": {"lf": "slow", "limit": 100, "unit": "ms"}}),
     lf.TimedOut, {"lf": "slow", "limit": 100}),
    (_flight_error(flight.FlightInternalError, "i", {"code": "INTERNAL", "message": "disk full", "details": {}}),
     lf.ServerError, {"message": "disk full"}),
    (_flight_error(flight.FlightServerError, "Flight returned invalid argument error, with message: bad body",
                   {"code": "INVALID_ARGUMENT", "message": "unknown action 'x' (known: apply)"}),
     lf.UnknownAction, {"lf": None}),
])
def test_structured_details_build_the_exception(raised, expected, attrs):
    """Verifies that the class, message and e.lf / e.row / e.limit / e.details come from the status's JSON
    extra info, whatever pyarrow's exception class and text say."""
    error = translate(raised)
    assert type(error) is expected
    assert error.details == __import__("json").loads(raised.extra_info).get("details", {})
    for key, value in attrs.items():
        assert getattr(error, key) == value, key


@pytest.mark.parametrize("extra", [b"", b"not json", b'["a"]', b'{"message": "no code"}'])
def test_unusable_details_fall_back_to_the_text(extra):
    """Verifies that missing or malformed extra info falls back to reading pyarrow's text."""
    error = translate(flight.FlightServerError("Flight returned not found error, with message: job 'q' not found",
                                               extra_info=extra))
    assert type(error) is lf.NotFound and str(error) == "job 'q' not found" and error.details == {}
    assert error.lf is None and error.row is None


def test_fallback_still_reads_lf_names_from_text():
    """Verifies that without details an InvalidLF still comes from the message text (older servers)."""
    error = translate(pa.ArrowInvalid("Flight returned invalid argument error, with message: LF 'r' (regex): bad"))
    assert type(error) is lf.InvalidLF and error.details == {}
