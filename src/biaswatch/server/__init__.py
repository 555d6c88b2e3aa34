"""The REST API and the dashboard (extra ``server``: FastAPI and uvicorn)."""

from __future__ import annotations

from biaswatch.server.app import TOKEN_VARIABLE, create_app, listen, serve

__all__ = ["TOKEN_VARIABLE", "create_app", "listen", "serve"]
