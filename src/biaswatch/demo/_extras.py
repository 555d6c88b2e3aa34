"""The demo's optional dependencies (extra ``demo``): checked before anything starts."""

from __future__ import annotations

import importlib.util

from biaswatch.errors import ConfigError

__all__ = ["require_demo_extras"]

# Import name → distribution name, for the message.
_EXTRAS = {"fastapi": "fastapi", "uvicorn": "uvicorn", "sklearn": "scikit-learn"}


def require_demo_extras() -> None:
    """Check that FastAPI, uvicorn and scikit-learn can be imported (without importing them).

    Raises
    ------
    ConfigError
        Naming the missing packages and the extra that installs them.
    """
    missing = [
        package for module, package in _EXTRAS.items() if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise ConfigError(
            f"biaswatch demo needs {', '.join(missing)}: pip install 'biaswatch[demo]'",
            field="extras",
            value=missing,
        )
