"""Optional token authentication for the API and the dashboard.

With a token set (``BIASWATCH_API_TOKEN``), every request needs it, except ``/api/health``:
``Authorization: Bearer <token>`` (scripts), or the ``biaswatch_token`` cookie (browsers). A
browser gets the cookie by opening any page once with ``?token=<token>``; it is then sent to
the same URL without it.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from biaswatch.server.pages import error_page

__all__ = ["COOKIE", "OPEN_PATHS", "TokenAuth", "TokenRedaction"]

COOKIE = "biaswatch_token"
OPEN_PATHS = frozenset({"/api/health"})


class TokenAuth:
    """An HTTP middleware that lets through requests carrying ``token``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def _matches(self, candidate: str | None) -> bool:
        return candidate is not None and secrets.compare_digest(candidate, self._token)

    async def __call__(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Check the request's token; 401 without the right one."""
        if request.url.path in OPEN_PATHS:
            return await call_next(request)
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if (scheme.lower() == "bearer" and self._matches(credentials)) or self._matches(
            request.cookies.get(COOKIE)
        ):
            return await call_next(request)
        if self._matches(request.query_params.get("token")):
            query = urlencode([p for p in request.query_params.multi_items() if p[0] != "token"])
            # Always a path on this server: "//host/…" would send the browser to another site.
            target = "/" + request.url.path.lstrip("/") + (f"?{query}" if query else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(COOKIE, self._token, httponly=True, samesite="strict")
            return redirect
        message = "a token is required: Authorization: Bearer <token>, or open ?token=<token>"
        if request.url.path.startswith("/api/") or request.url.path == "/metrics":
            return JSONResponse({"detail": message}, status_code=401)
        return HTMLResponse(error_page(401, message), status_code=401)


class TokenRedaction(logging.Filter):
    """Hides ``token=…`` in logged request lines (uvicorn's access log shows the query)."""

    _TOKEN = re.compile(r"(?<=[?&]token=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the token in the record's arguments and message; keep the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub("[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = self._TOKEN.sub("[redacted]", record.msg)
        return True
