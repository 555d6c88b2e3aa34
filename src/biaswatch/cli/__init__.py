"""The ``biaswatch`` command line (typer). The only layer, with the server, that prints or exits."""

from __future__ import annotations

from biaswatch.cli.app import app, main

__all__ = ["app", "main"]
