"""Where files live: local folders, ``s3://`` and ``memory://`` through fsspec.

Atomic writes, and the ``yyyy/mm/dd/hh`` hour partitions capture and ground truth use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.storage.files import (
        FileStamp,
        copy_file,
        delete_file,
        exists,
        json_bytes,
        list_file_stamps,
        list_files,
        read_bytes,
        write_bytes,
    )
    from biaswatch.storage.location import Location, join, locate
    from biaswatch.storage.partitions import (
        HourFile,
        hour_folder,
        hours_between,
        list_hour_files,
        list_hour_stamps,
        start_of_hour,
    )

__all__ = [
    "FileStamp",
    "HourFile",
    "Location",
    "copy_file",
    "delete_file",
    "exists",
    "hour_folder",
    "hours_between",
    "join",
    "json_bytes",
    "list_file_stamps",
    "list_files",
    "list_hour_files",
    "list_hour_stamps",
    "locate",
    "read_bytes",
    "start_of_hour",
    "write_bytes",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
