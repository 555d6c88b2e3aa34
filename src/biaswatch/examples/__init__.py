"""Small datasets bundled with biaswatch for the demo and the docs (see each folder's README)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "example_path"]

EXAMPLES = Path(__file__).parent


def example_path(name: str) -> Path:
    """The folder of the bundled example ``name`` (for instance ``"adult"``)."""
    path = EXAMPLES / name
    if not path.is_dir():
        raise FileNotFoundError(f"no bundled example {name!r} in {EXAMPLES}")
    return path
