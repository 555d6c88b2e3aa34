"""Reading back what a capture writer wrote, for the capture tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from biaswatch.capture.endpoint import CaptureRecord, parse_capture_line
from biaswatch.storage import locate


def capture_files(root: str) -> dict[str, bytes]:
    """Every file under ``root``, by its path relative to ``root``.

    Hidden files are left out, as readers leave them out: a local write in progress is a
    hidden temporary file until it is renamed (a background flush may be writing one now).
    """
    location = locate(root)
    base = location.path.rstrip("/") + "/"
    found: list[str] = location.filesystem.find(location.path)
    return {
        path[len(base) :]: bytes(location.filesystem.cat_file(path))
        for path in sorted(found)
        if not path.rsplit("/", 1)[-1].startswith(".")
    }


def capture_lines(root: str) -> list[bytes]:
    """Every line of every file under ``root``; each file must end with a whole line."""
    lines: list[bytes] = []
    for name, data in capture_files(root).items():
        assert data.endswith(b"\n"), f"{name} ends with half a line"
        lines.extend(data.splitlines(keepends=True))
    return lines


def capture_records(root: str) -> list[CaptureRecord]:
    """Every record under ``root``, parsed."""
    return [parse_capture_line(line) for line in capture_lines(root)]


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


T0 = datetime(2024, 5, 1, 10, 59, 58, 250000, tzinfo=UTC)
