"""Reading, writing and listing files at URIs. Writes are atomic: a reader never sees half a file.

On a local disk a file is written under a temporary name and renamed into place; an object store
(S3, memory) makes an object visible only once it is whole.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import orjson

from biaswatch.storage.location import locate, translated_errors

__all__ = ["exists", "json_bytes", "list_files", "read_bytes", "write_bytes"]


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


def list_files(uri: str) -> list[str]:
    """The URIs of the files directly in the folder ``uri``, sorted; none if it does not exist.

    Hidden files (``.name``, such as a local write in progress) are left out.
    """
    location = locate(uri)
    with translated_errors(uri, "list"):
        try:
            entries = location.filesystem.ls(location.path, detail=True)
        except FileNotFoundError:
            return []
    base = location.path.rstrip("/")
    names = sorted(entry["name"] for entry in entries if entry.get("type") == "file")
    return [
        location.child(name[len(base) :]).uri
        for name in names
        if name.startswith(base) and not os.path.basename(name).startswith(".")
    ]
