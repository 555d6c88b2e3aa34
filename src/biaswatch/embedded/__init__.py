"""The embedded engine: DuckDB counts a monitoring window of the common shape, in bounded memory.

See :mod:`biaswatch.embedded.window`. Importing this package does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.embedded.window import CountedWindow, count_endpoint_window

__all__ = ["CountedWindow", "count_endpoint_window"]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
