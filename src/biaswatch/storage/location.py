"""URIs to filesystems: local paths, ``file://``, ``s3://`` and ``memory://``, through fsspec.

S3 settings come from the usual AWS variables; ``BIASWATCH_S3_ENDPOINT_URL`` points ``s3://`` at
an S3-compatible server (MinIO, Ceph, a test server). Every filesystem error is translated to
:class:`~biaswatch.errors.StorageError` here, at this one boundary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from biaswatch.errors import ConfigError, StorageError

__all__ = ["Location", "join", "locate", "translated_errors"]

ENDPOINT_VARIABLE = "BIASWATCH_S3_ENDPOINT_URL"


@dataclass(frozen=True, slots=True)
class Location:
    """A URI resolved to its fsspec filesystem and the path within it."""

    uri: str
    filesystem: Any
    path: str

    @property
    def local(self) -> bool:
        """Whether the location is on the local disk (where renames are atomic)."""
        return "file" in _protocols(self.filesystem)

    def child(self, *parts: str) -> Location:
        """The location of ``parts`` under this one."""
        return Location(join(self.uri, *parts), self.filesystem, join(self.path, *parts))


def _protocols(filesystem: Any) -> tuple[str, ...]:
    protocol = filesystem.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def join(base: str, *parts: str) -> str:
    """Join URI or path segments with single slashes.

    Examples
    --------
    >>> join("s3://bucket/capture/", "ep", "AllTraffic")
    's3://bucket/capture/ep/AllTraffic'

    A part never leads out of the base:

    >>> join("/reports", "../../etc")
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: '../../etc' would lead out of '/reports': ...
    """
    joined = base.rstrip("/")
    for part in parts:
        if ".." in part.split("/"):
            raise ConfigError(
                f"{part!r} would lead out of {base!r}: a path part may not be '..'",
                field="path",
                value=part,
            )
        joined = f"{joined}/{part.strip('/')}" if part else joined
    return joined


def _options(protocol: str) -> dict[str, Any]:
    if protocol in ("s3", "s3a"):
        # Listings are never cached: new capture files arrive all the time.
        options: dict[str, Any] = {"use_listings_cache": False}
        endpoint = os.environ.get(ENDPOINT_VARIABLE)
        if endpoint:
            options["client_kwargs"] = {"endpoint_url": endpoint}
        return options
    return {}


def locate(uri: str) -> Location:
    """Resolve ``uri`` (a local path or a URL) to its filesystem.

    ``s3a://`` (Spark's spelling) is read as ``s3://``. A missing optional package (``s3fs``)
    is a :class:`~biaswatch.errors.StorageError` that says which extra to install.
    """
    text = str(uri)
    if text.startswith("s3a://"):
        text = "s3://" + text[len("s3a://") :]
    protocol = text.split("://", 1)[0] if "://" in text else "file"
    import fsspec  # at the first location: a process that touches no file does not load it

    try:
        filesystem, path = fsspec.core.url_to_fs(text, **_options(protocol))
    except ImportError as exc:
        extra = "s3" if protocol == "s3" else protocol
        raise StorageError(
            f"{uri}: the {protocol!r} protocol needs an extra: pip install 'biaswatch[{extra}]'"
        ) from exc
    except ValueError as exc:
        raise StorageError(f"{uri}: {exc}") from exc
    return Location(text, filesystem, path)


@contextmanager
def translated_errors(uri: str, action: str) -> Iterator[None]:
    """Turn the filesystem's errors into :class:`StorageError` naming the URI and the action."""
    try:
        yield
    except StorageError:
        raise
    except FileNotFoundError as exc:
        raise StorageError(f"cannot {action} {uri}: no such file or folder") from exc
    except PermissionError as exc:
        raise StorageError(f"cannot {action} {uri}: permission denied") from exc
    except OSError as exc:
        raise StorageError(f"cannot {action} {uri}: {exc.strerror or exc}") from exc
    except Exception as exc:
        # S3's client (botocore) raises its own tree (an unreachable endpoint, a missing
        # bucket, refused credentials); every other backend's error is re-raised as it is.
        if not type(exc).__module__.startswith(("botocore", "aiobotocore", "s3fs")):
            raise
        raise StorageError(f"cannot {action} {uri}: {exc}") from exc
