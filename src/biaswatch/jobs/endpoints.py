"""Endpoints, as the store and the capture writers' registration files know them.

A serving process's :class:`~biaswatch.capture.CaptureWriter` registers its endpoint in a file
(the capture layer sits below the store); ``biaswatch endpoints register`` and the facade record
endpoints in the store. Lookups see both, the store winning.
"""

from __future__ import annotations

from datetime import datetime

from biaswatch.capture.registry import (
    RegisteredEndpoint,
    register_endpoint,
    registered_endpoint,
    registered_endpoint_names,
)
from biaswatch.errors import ConfigError
from biaswatch.store import EndpointRow, Store

__all__ = ["all_endpoints", "endpoint_url", "find_endpoint", "record_endpoint"]


def _from_row(row: EndpointRow) -> RegisteredEndpoint:
    return RegisteredEndpoint(row.name, row.variant, row.capture_uri, row.url)


def record_endpoint(
    store: Store,
    name: str,
    capture_uri: str,
    *,
    now: datetime,
    variant: str = "AllTraffic",
    url: str | None = None,
) -> RegisteredEndpoint:
    """Register an endpoint (validated as the registry does) in the store and its file."""
    register_endpoint(name, capture_uri, variant=variant, url=url)
    written = registered_endpoint(name)
    assert written is not None
    store.register_endpoint(
        name, capture_uri=written.capture_uri, variant=variant, url=url, now=now
    )
    return written


def find_endpoint(store: Store, name: str) -> RegisteredEndpoint | None:
    """Endpoint ``name`` from the store, else from its registration file."""
    row = store.endpoint(name)
    return _from_row(row) if row is not None else registered_endpoint(name)


def all_endpoints(store: Store) -> list[RegisteredEndpoint]:
    """Every endpoint the store or a registration file knows, by name."""
    found = {row.name: _from_row(row) for row in store.endpoints()}
    for name in registered_endpoint_names():
        if name not in found:
            registered = registered_endpoint(name)
            if registered is not None:
                found[name] = registered
    return [found[name] for name in sorted(found)]


def endpoint_url(store: Store, name: str) -> str:
    """The URL endpoint ``name`` serves at; a config error naming the fix when it has none."""
    endpoint = find_endpoint(store, name)
    if endpoint is None or not endpoint.url:
        raise ConfigError(
            f"endpoint {name!r} has no URL in biaswatch to call for predictions; register it:"
            f" biaswatch endpoints register {name} --capture-uri URI --url URL",
            field="endpoint_name",
            value=name,
        )
    return endpoint.url
