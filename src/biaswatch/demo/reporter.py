"""How the demo tells what it is doing: a protocol the CLI implements with rich."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

__all__ = ["DemoReporter", "SilentReporter"]


class DemoReporter(Protocol):
    """Receives the demo's steps, details and progress."""

    def step(self, title: str) -> None:
        """A new step starts."""

    def detail(self, text: str) -> None:
        """A fact about the current step."""

    def progress(
        self, description: str, total: int
    ) -> AbstractContextManager[Callable[[int], None]]:
        """A task of ``total`` units; the context's value advances it by a number of units."""


class SilentReporter:
    """A reporter that reports nothing (for tests and scripts)."""

    def step(self, title: str) -> None:
        """Ignore the step."""

    def detail(self, text: str) -> None:
        """Ignore the detail."""

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """Ignore the progress."""

        def advance(units: int) -> None:
            del units

        yield advance
