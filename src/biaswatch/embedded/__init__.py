"""The embedded engine: DuckDB counts a monitoring window of the common shape, in bounded memory.

See :mod:`biaswatch.embedded.window`. Importing this package does not import DuckDB.
"""

from __future__ import annotations

from biaswatch.embedded.window import CountedWindow, count_endpoint_window

__all__ = ["CountedWindow", "count_endpoint_window"]
