"""Every exception biaswatch raises, in one tree.

::

    BiaswatchError(Exception)                     root
    ├── ConfigError(BiaswatchError, ValueError)   invalid analysis/monitor config      exit 2
    │   ├── UnknownMetricError                    a metric code that is not registered
    │   └── ConfigMismatchError(…, DataError)     the config names a column or value
    │                                             that the dataset does not have
    ├── DataError(BiaswatchError, ValueError)     inputs unusable for the whole run    exit 1
    │   ├── SchemaError                           missing column, malformed row
    │   ├── EmptyWindowError                      no captured records in the window
    │   └── Malformed (in biaswatch.records)      one unusable record: counted and
    │                                             sampled by the readers, never fatal
    ├── StorageError(BiaswatchError, OSError)     read/write failures
    ├── BaselineError(BiaswatchError)             baseline missing or incompatible
    ├── PublishError(BiaswatchError)              a publisher failed
    ├── ScheduleError(BiaswatchError)             bad cron expression, overlapping run
    └── UnexpectedStatusError(BiaswatchError)     a job waited for ended Failed

Exceptions carry the offending field and value as attributes, and say both in their message.
This module imports nothing from biaswatch, so every layer may use it.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BaselineError",
    "BiaswatchError",
    "ConfigError",
    "ConfigMismatchError",
    "DataError",
    "EmptyWindowError",
    "PublishError",
    "ScheduleError",
    "SchemaError",
    "StorageError",
    "UnexpectedStatusError",
    "UnknownMetricError",
]


class BiaswatchError(Exception):
    """Root of every error biaswatch raises."""

    exit_code: ClassVar[int] = 1


class ConfigError(BiaswatchError, ValueError):
    """A configuration is invalid; ``field`` names the setting and ``value`` what was given."""

    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class UnknownMetricError(ConfigError):
    """A metric code that is not in the registry (or not in the requested stage)."""


class DataError(BiaswatchError, ValueError):
    """The input data cannot be used for the whole run."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.path = path
        self.line = line


class SchemaError(DataError):
    """A column is missing, or a row does not have the shape the schema says."""


class EmptyWindowError(DataError):
    """No records at all: an empty dataset or an empty monitoring window."""


class ConfigMismatchError(ConfigError, DataError):
    """The config does not fit the dataset: it names a column or a value the data lacks.

    A configuration error (exit code 2: the person fixes the config or picks the right dataset)
    that is also a :class:`DataError`, since it is only found by reading the data.
    """

    def __init__(
        self, message: str, *, field: str, value: object = None, path: str | None = None
    ) -> None:
        DataError.__init__(self, message, field=field, value=value, path=path)


class StorageError(BiaswatchError, OSError):
    """Reading or writing a file or object failed."""


class BaselineError(BiaswatchError):
    """The baseline is missing, or does not fit the current analysis."""


class PublishError(BiaswatchError):
    """A metric publisher failed; the run itself still completes.

    ``attempts`` is how many requests were made, retries included, where that is known.
    """

    def __init__(self, message: str, *, attempts: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts


class ScheduleError(BiaswatchError):
    """A schedule expression is invalid, or a run overlaps another."""

    exit_code: ClassVar[int] = 2


class UnexpectedStatusError(BiaswatchError):
    """A job that was waited for ended in a status other than the ones allowed.

    SageMaker's ``UnexpectedStatusException`` (``biaswatch.model_monitor`` exports it by that
    name too): ``wait()`` raises it when an execution or a baselining job ended ``Failed``.
    ``actual_status`` is the status, ``allowed_statuses`` the ones that would not have raised.
    """

    def __init__(
        self, message: str, *, allowed_statuses: tuple[str, ...], actual_status: str
    ) -> None:
        super().__init__(message)
        self.allowed_statuses = allowed_statuses
        self.actual_status = actual_status
