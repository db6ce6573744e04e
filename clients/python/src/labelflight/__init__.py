"""LabelFlight for Python: upload DataFrames, apply labeling functions on the server, get pandas back.

    import labelflight as lf
    c = lf.connect("grpc://127.0.0.1:8815")
    c.upload(df, "reviews")
    L = c.apply("reviews", [lf.keyword("spammy", ["free money"], label="SPAM")], labels=["HAM", "SPAM"])
"""

from .client import TERMINAL_STATES, Client, Job, LabelModel, LabelModelWarning, connect
from .errors import (AlreadyExists, Cancelled, InvalidLF, InvalidRequest, LabelFlightError, NotFound,
                     PermissionDenied, ResourceExhausted, ServerError, TimedOut, Unauthenticated, Unavailable,
                     Unimplemented, UnknownAction)
from .offline import OfflineLabelModel
from .lfs import LF, NUMERIC_OPS, categorical, expr, keyword, model, numeric, regex, similarity
from .pyfunc import PythonLF, batch_lf, python_lf
from .shared import DEV_GOLD, LfSet

__version__ = "0.1.0"

__all__ = [
    "connect", "Client", "Job", "LabelModel", "LabelModelWarning", "OfflineLabelModel", "TERMINAL_STATES", "LfSet",
    "DEV_GOLD",
    "LF", "NUMERIC_OPS", "keyword", "regex", "numeric", "categorical", "expr", "similarity", "model",
    "PythonLF", "python_lf", "batch_lf",
    "LabelFlightError", "InvalidRequest", "InvalidLF", "UnknownAction", "NotFound", "AlreadyExists",
    "ResourceExhausted", "Unavailable", "Cancelled", "TimedOut", "Unauthenticated", "PermissionDenied",
    "Unimplemented", "ServerError",
]
