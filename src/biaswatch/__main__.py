"""``python -m biaswatch``: the CLI."""

from __future__ import annotations

from biaswatch.cli import main

main()
