"""Local, file:// and memory:// storage: atomic writes, listings, hour partitions, errors."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from biaswatch.errors import StorageError
from biaswatch.storage import (
    exists,
    hour_folder,
    hours_between,
    list_files,
    list_hour_files,
    read_bytes,
    start_of_hour,
    write_bytes,
)


def test_local_write_is_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    write_bytes(str(target), b"first")
    write_bytes(str(target), b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["out.json"]


def test_file_urls_and_paths_are_the_same_place(tmp_path: Path) -> None:
    write_bytes(f"file://{tmp_path}/a.txt", b"x")
    assert read_bytes(str(tmp_path / "a.txt")) == b"x"
    assert exists(str(tmp_path / "a.txt"))
    assert list_files(f"file://{tmp_path}") == [f"file://{tmp_path}/a.txt"]


def test_hidden_files_are_not_listed(tmp_path: Path) -> None:
    (tmp_path / ".a.jsonl.tmp").write_text("half")
    (tmp_path / "b.jsonl").write_text("whole")
    assert list_files(str(tmp_path)) == [str(tmp_path / "b.jsonl")]


def test_reading_what_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no such file"):
        read_bytes(str(tmp_path / "absent"))


def test_writing_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot write"):
        write_bytes(str(tmp_path / "file" / "child"), b"y")
    assert (tmp_path / "file").read_text() == "x"


def test_hour_partitions() -> None:
    moment = datetime(2026, 1, 2, 3, 45, tzinfo=UTC)
    assert hour_folder(moment) == "2026/01/02/03"
    assert start_of_hour(moment) == datetime(2026, 1, 2, 3, tzinfo=UTC)
    assert len(hours_between(moment, datetime(2026, 1, 2, 5, tzinfo=UTC))) == 3
    with pytest.raises(ValueError, match="no time zone"):
        start_of_hour(datetime(2026, 1, 2))  # noqa: DTZ001


def test_list_hour_files_in_order() -> None:
    for name in (
        "2026/01/02/04/b.jsonl",
        "2026/01/02/03/z.jsonl",
        "2026/01/02/04/a.jsonl",
        "2026/01/02/06/c.jsonl",
    ):
        write_bytes(f"memory://hours/{name}", b"x")
    found = list_hour_files(
        "memory://hours", datetime(2026, 1, 2, 3, tzinfo=UTC), datetime(2026, 1, 2, 5, tzinfo=UTC)
    )
    assert [f.uri.removeprefix("memory://hours/") for f in found] == [
        "2026/01/02/03/z.jsonl",
        "2026/01/02/04/a.jsonl",
        "2026/01/02/04/b.jsonl",
    ]
    assert found[0].hour == datetime(2026, 1, 2, 3, tzinfo=UTC)
