"""Simulated time for the demo's endpoint: each request says when it happens.

The demo replays a whole day of traffic in seconds. Every request carries its simulated time
in the ``X-Biaswatch-Simulated-Time`` header (ISO-8601). :meth:`SimulatedTime.middleware`
holds it in a context variable while the request is served, so the capture writer's clock and
the injected bias both read the time of the request they serve: a capture is never stamped
with the time of the next request, however the server and the client threads interleave. A
request without the header is served at the real time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["SIMULATED_TIME_HEADER", "SimulatedTime"]

SIMULATED_TIME_HEADER = "X-Biaswatch-Simulated-Time"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Clock = Callable[[], datetime]

_HEADER = SIMULATED_TIME_HEADER.lower().encode("latin-1")


def _real_now() -> datetime:
    return datetime.now(UTC)


def _requested_time(scope: Scope) -> datetime | None:
    """The request's simulated time; None without the header.

    Raises
    ------
    ValueError
        If the header is not an aware ISO-8601 time.
    """
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == _HEADER:
            moment = datetime.fromisoformat(bytes(value).decode("latin-1"))
            if moment.tzinfo is None:
                raise ValueError("the simulated time has no time zone")
            return moment.astimezone(UTC)
    return None


class SimulatedTime:
    """A clock that tells the simulated time of the request being served.

    Parameters
    ----------
    fallback : callable, optional
        The clock outside a request that carries a simulated time (default: the real UTC time).

    Examples
    --------
    >>> clock = SimulatedTime(fallback=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock().isoformat()
    '2026-01-01T00:00:00+00:00'
    """

    def __init__(self, fallback: Clock | None = None) -> None:
        self._fallback = fallback or _real_now
        self._now: ContextVar[datetime | None] = ContextVar("biaswatch_simulated_time")

    def __call__(self) -> datetime:
        """The simulated time of the current request, else the fallback clock's time."""
        moment = self._now.get(None)
        return moment if moment is not None else self._fallback()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wrap an ASGI app so that, while it serves a request, this clock tells its time.

        A request whose header is not an aware ISO-8601 time is answered 400.
        """

        async def with_simulated_time(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            try:
                moment = _requested_time(scope)
            except ValueError as exc:
                body = f"{SIMULATED_TIME_HEADER}: {exc}".encode()
                headers = [(b"content-type", b"text/plain; charset=utf-8")]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            token = self._now.set(moment)
            try:
                await app(scope, receive, send)
            finally:
                self._now.reset(token)

        return with_simulated_time
