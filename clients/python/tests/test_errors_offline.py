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
