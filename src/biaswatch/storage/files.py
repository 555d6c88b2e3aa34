"""Reading, writing and listing files at URIs. Writes are atomic: a reader never sees half a file.

On a local disk a file is written under a temporary name and renamed into place; an object store
(S3, memory) makes an object visible only once it is whole.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from biaswatch.storage.location import locate, translated_errors

__all__ = [
    "FileStamp",
    "copy_file",
    "delete_file",
    "exists",
    "json_bytes",
    "list_file_stamps",
    "list_files",
    "read_bytes",
    "write_bytes",
]


def json_bytes(document: Any) -> bytes:
    r"""A JSON document as biaswatch writes its files: indented, ending with a newline.

    Examples
    --------
    >>> json_bytes({"a": [1]})
    b'{\n  "a": [\n    1\n  ]\n}\n'
    """
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def read_bytes(uri: str) -> bytes:
    """The content of the file at ``uri``."""
    location = locate(uri)
    with translated_errors(uri, "read"):
        data: bytes = location.filesystem.cat_file(location.path)
        return data


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` to ``uri`` atomically, creating folders as needed."""
    location = locate(uri)
    filesystem = location.filesystem
    with translated_errors(uri, "write"):
        if not location.local:
            filesystem.pipe_file(location.path, data)
            return
        parent = os.path.dirname(location.path)
        os.makedirs(parent, exist_ok=True)
        temporary = os.path.join(parent, f".{os.path.basename(location.path)}.{uuid.uuid4().hex}")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, location.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


def exists(uri: str) -> bool:
    """Whether a file or folder exists at ``uri``."""
    location = locate(uri)
    with translated_errors(uri, "look for"):
        return bool(location.filesystem.exists(location.path))


def copy_file(source: str, target: str) -> None:
    """Copy the file at ``source`` to ``target`` (atomically, as :func:`write_bytes`)."""
    write_bytes(target, read_bytes(source))


def delete_file(uri: str) -> None:
    """Delete the file at ``uri``; nothing when there is none."""
    location = locate(uri)
    with translated_errors(uri, "delete"), contextlib.suppress(FileNotFoundError):
        location.filesystem.rm_file(location.path)


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What identifies a file's content without reading it: its name, size and version.

    The version is the object store's ETag, else the modification time, as the filesystem
    reports it; a file rewritten in place gets a new one.
    """

    name: str
    size: int
    version: str

    def to_json(self) -> list[str | int]:
        """``[name, size, version]``, as the store keeps it."""
        return [self.name, self.size, self.version]

    @classmethod
    def from_json(cls, value: list[str | int]) -> FileStamp:
        """The stamp of :meth:`to_json`."""
        name, size, version = value
        return cls(str(name), int(size), str(version))


def _files(uri: str) -> list[tuple[str, dict[str, Any]]]:
    """The files directly in the folder ``uri`` (URI and the filesystem's details), sorted."""
    location = locate(uri)
    with translated_errors(uri, "list"):
        try:
            entries = location.filesystem.ls(location.path, detail=True)
        except FileNotFoundError:
            return []
    base = location.path.rstrip("/")
    found = sorted((entry["name"], entry) for entry in entries if entry.get("type") == "file")
    return [
        (location.child(name[len(base) :]).uri, entry)
        for name, entry in found
        if name.startswith(base) and not os.path.basename(name).startswith(".")
    ]


def list_files(uri: str) -> list[str]:
    """The URIs of the files directly in the folder ``uri``, sorted; none if it does not exist.

    Hidden files (``.name``, such as a local write in progress) are left out.
    """
    return [file for file, _ in _files(uri)]


def _version(entry: dict[str, Any]) -> str:
    for key in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created"):
        value = entry.get(key)
        if value is not None:
            return str(value).strip('"')
    return ""


def list_file_stamps(uri: str) -> list[tuple[str, int, str]]:
    """The files directly in the folder ``uri``: URI, size and version (see :class:`FileStamp`)."""
    return [(file, int(entry.get("size") or 0), _version(entry)) for file, entry in _files(uri)]
