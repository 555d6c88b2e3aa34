"""``python -m biaswatch``: the CLI."""

from biaswatch.cli import main

main()
