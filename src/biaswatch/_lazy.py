"""Packages whose names are imported when first used (PEP 562), so importing one costs nothing.

A package's ``__init__`` imports the names it offers under ``if TYPE_CHECKING:`` (what type
checkers, editors and readers see), lists them in ``__all__``, and ends with::

    __getattr__, __dir__ = lazy_exports(__name__, __file__)

``from biaswatch.analysis import MetricPoint`` then imports the module that defines
``MetricPoint`` (and what that module needs), not every module of the package: a script that
runs an execution, or the CLI listing schedules, does not pay for pyarrow, DuckDB or the
capture decoders it never uses. The names are read from that ``TYPE_CHECKING`` block, so each
is written once; ``tests/install/test_imports.py`` checks that ``__all__`` lists exactly them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["exported_names", "lazy_exports"]


def exported_names(package: str, init_file: str) -> dict[str, tuple[str, str]]:
    """The names imported under ``if TYPE_CHECKING:`` in ``init_file``: name → (module, name)."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    names: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                module = importlib.util.resolve_name(
                    "." * statement.level + statement.module, package
                )
                for alias in statement.names:
                    names[alias.asname or alias.name] = (module, alias.name)
    return names


def lazy_exports(
    package: str, init_file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__``: each name imported at its first use."""
    names = exported_names(package, init_file)

    def __getattr__(name: str) -> Any:
        try:
            module, attribute = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attribute)
        setattr(sys.modules[package], name, value)  # the next use is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
