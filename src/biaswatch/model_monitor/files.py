"""SageMaker's monitoring files: ``Constraints``, ``ConstraintViolations``, ``Statistics``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import orjson

from biaswatch.errors import StorageError
from biaswatch.storage import read_bytes, write_bytes

__all__ = ["ConstraintViolations", "Constraints", "MonitoringOutput", "Statistics"]


class _JsonFile:
    """A JSON document with the URI it came from (SageMaker's ``ModelMonitoringFile``)."""

    def __init__(self, body_dict: dict[str, Any], file_s3_uri: str | None = None) -> None:
        self.body_dict = body_dict
        self.file_s3_uri = file_s3_uri

    @classmethod
    def from_s3_uri(cls, constraints_file_s3_uri: str, kms_key: str | None = None) -> Self:
        """Read the document at a URI (``s3://``, a local path, …)."""
        del kms_key
        return cls(orjson.loads(read_bytes(constraints_file_s3_uri)), constraints_file_s3_uri)

    @classmethod
    def from_string(cls, constraints_file_string: str, **_: Any) -> Self:
        """Parse a document from a JSON string."""
        return cls(orjson.loads(constraints_file_string))

    @classmethod
    def from_file_path(cls, constraints_file_path: str, **_: Any) -> Self:
        """Read a document from a local file."""
        return cls(orjson.loads(Path(constraints_file_path).read_bytes()), constraints_file_path)

    def save(self, new_save_location_s3_uri: str | None = None) -> str:
        """Write the document (to its own URI, or to a new one) and return where it went."""
        uri = new_save_location_s3_uri or self.file_s3_uri
        if uri is None:
            raise StorageError("the document has no location; give new_save_location_s3_uri")
        write_bytes(uri, orjson.dumps(self.body_dict, option=orjson.OPT_INDENT_2))
        self.file_s3_uri = uri
        return uri


class Constraints(_JsonFile):
    """A bias baseline's constraints: its ``analysis.json``."""


class ConstraintViolations(_JsonFile):
    """An execution's ``constraint_violations.json``."""


class Statistics(_JsonFile):
    """A ``statistics.json`` document (SageMaker's; bias monitoring writes none).

    Importable and readable, as a bias workflow imports it: ``create_monitoring_schedule``
    accepts ``statistics=`` and ignores it, as bias baselines have no statistics.
    """


@dataclass(frozen=True, slots=True)
class MonitoringOutput:
    """Where an execution's files are (``output.destination``)."""

    destination: str
