"""The endpoint registry files: where each endpoint's captures are, written by capture writers.

One JSON file per endpoint, ``<BIASWATCH_HOME>/endpoints/<name>.json``::

    {"endpoint_name": "churn", "variant_name": "AllTraffic",
     "capture_uri": "s3://bucket/data-capture", "url": null}

``capture_uri`` is the capture root (``DataCaptureConfig.destination_s3_uri``); the captures
themselves are under ``<capture_uri>/<endpoint>/<variant>/``. Registering again replaces the
file (atomically): the registration says where an endpoint captures *now*. The capture layer
sits below the metadata store, so a serving process registers here; the jobs layer reads these
files together with the store's endpoints (the store wins).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import orjson

from biaswatch.capture.config import biaswatch_home
from biaswatch.config.names import check_name, is_name
from biaswatch.errors import ConfigError
from biaswatch.storage import exists, join, list_files, read_bytes, write_bytes

__all__ = [
    "RegisteredEndpoint",
    "check_endpoint_name",
    "register_endpoint",
    "registered_endpoint",
    "registered_endpoint_names",
]

ENDPOINTS_FOLDER = "endpoints"


@dataclass(frozen=True, slots=True)
class RegisteredEndpoint:
    """An endpoint's registration: its name, variant, capture root and (optional) URL."""

    endpoint_name: str
    variant_name: str
    capture_uri: str
    url: str | None = None


def check_endpoint_name(name: str, *, field: str = "endpoint_name") -> str:
    """Return ``name`` if it is a valid SageMaker endpoint (or variant) name.

    Examples
    --------
    >>> check_endpoint_name("churn-model-1")
    'churn-model-1'
    """
    return check_name(name, field=field)


def _registration_uri(name: str) -> str:
    return join(biaswatch_home(), ENDPOINTS_FOLDER, f"{check_endpoint_name(name)}.json")


def _absolute(uri: str) -> str:
    """A local path made absolute (a registration is read from other working folders)."""
    return uri if "://" in uri else os.path.abspath(os.path.expanduser(uri))


def register_endpoint(
    name: str, capture_uri: str, *, variant: str = "AllTraffic", url: str | None = None
) -> None:
    """Record where endpoint ``name`` captures, replacing an earlier registration.

    Parameters
    ----------
    name : str
        The endpoint name (SageMaker's rules).
    capture_uri : str
        The capture root, as in ``DataCaptureConfig.destination_s3_uri``. A local path is
        stored absolute.
    variant : str, default "AllTraffic"
        The production variant whose captures are monitored.
    url : str, optional
        Where the endpoint serves (``http://`` or ``https://``), for jobs that call the model.

    Raises
    ------
    ConfigError
        If the name, variant, capture URI or URL is invalid.
    StorageError
        If the registration cannot be written.
    """
    check_endpoint_name(name)
    check_endpoint_name(variant, field="variant")
    if not isinstance(capture_uri, str) or not capture_uri.strip():
        raise ConfigError(
            f"capture_uri must be a non-empty URI, got {capture_uri!r}",
            field="capture_uri",
            value=capture_uri,
        )
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"url must be an http(s) URL, got {url!r}", field="url", value=url)
    document = {
        "endpoint_name": name,
        "variant_name": variant,
        "capture_uri": _absolute(capture_uri),
        "url": url,
    }
    write_bytes(_registration_uri(name), orjson.dumps(document, option=orjson.OPT_INDENT_2))


def registered_endpoint(name: str) -> RegisteredEndpoint | None:
    """The registration of endpoint ``name``, or ``None`` if it is not registered.

    Raises
    ------
    ConfigError
        If ``name`` is invalid, or its registration file is not a registration.
    StorageError
        If the registration cannot be read.
    """
    uri = _registration_uri(name)
    if not exists(uri):
        return None
    try:
        document = orjson.loads(read_bytes(uri))
    except orjson.JSONDecodeError as exc:
        raise ConfigError(
            f"{uri}: the registration of {name!r} is not valid JSON ({exc.msg})",
            field="endpoint_name",
            value=name,
        ) from exc
    fields = ("endpoint_name", "variant_name", "capture_uri")
    if (
        not isinstance(document, dict)
        or not all(isinstance(document.get(key), str) for key in fields)
        or not isinstance(document.get("url"), str | None)
    ):
        raise ConfigError(
            f"{uri}: the registration of {name!r} lacks {', '.join(fields)} or has a bad url",
            field="endpoint_name",
            value=name,
        )
    return RegisteredEndpoint(
        endpoint_name=document["endpoint_name"],
        variant_name=document["variant_name"],
        capture_uri=document["capture_uri"],
        url=document.get("url"),
    )


def registered_endpoint_names() -> list[str]:
    """The names of the endpoints with a registration file, sorted."""
    files = list_files(join(biaswatch_home(), ENDPOINTS_FOLDER))
    names = (uri.rsplit("/", 1)[-1].removesuffix(".json") for uri in files)
    return sorted(name for name in names if is_name(name))
