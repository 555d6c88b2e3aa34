"""Process-wide settings read from the environment."""

from __future__ import annotations

import os

__all__ = ["DEFAULT_HOME", "HOME_VARIABLE", "biaswatch_home"]

HOME_VARIABLE = "BIASWATCH_HOME"
DEFAULT_HOME = "~/.biaswatch"


def biaswatch_home() -> str:
    """The folder biaswatch keeps its state in: ``$BIASWATCH_HOME``, else ``~/.biaswatch``.

    A local path has ``~`` expanded; a URL (``s3://…``) is returned as it is.
    """
    home = os.environ.get(HOME_VARIABLE) or DEFAULT_HOME
    return home if "://" in home else os.path.expanduser(home)
