"""The data point a row LF receives. Snorkel's PandasLFApplier hands each LF a ``pandas.Series``; building
one per row costs tens of microseconds, so workers hand out a ``Row``: a ``SimpleNamespace`` (a data point
type Snorkel supports: its preprocessors copy it with pickle, set fields with ``setattr`` and memoize it by
its fields) that also reads like a Series (``x["text"]``, ``x.get``, ``x.keys()``, ``x.to_dict()``,
not ``x.name``). Values are Python objects as ``Series`` of a mixed-type row hold them: str, int,
float (NaN for a null float), None for a null string."""

from types import SimpleNamespace


class Row(SimpleNamespace):
    __slots__ = ()

    def __getitem__(self, key):
        try:
            return self.__dict__[key]
        except KeyError:
            raise KeyError(key) from None

    def __setitem__(self, key, value):
        self.__dict__[key] = value

    def __contains__(self, key):
        return key in self.__dict__

    def get(self, key, default=None):
        return self.__dict__.get(key, default)

    def keys(self):
        return self.__dict__.keys()

    def items(self):
        return self.__dict__.items()

    def to_dict(self):
        return dict(self.__dict__)

    @property
    def index(self):
        return list(self.__dict__)


def rows(names, columns):
    """Yields one Row per row of ``columns`` (lists, one per name)."""
    new = Row.__new__
    for values in zip(*columns):
        r = new(Row)
        r.__dict__.update(zip(names, values))
        yield r
