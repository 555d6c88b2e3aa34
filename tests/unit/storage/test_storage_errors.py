"""Storage failures are StorageErrors naming the URI and the action; no half-written file stays."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from biaswatch.errors import StorageError
from biaswatch.storage import exists, list_files, read_bytes, write_bytes
from biaswatch.storage.files import _version, copy_file, delete_file, list_file_stamps
from biaswatch.storage.location import ENDPOINT_VARIABLE, locate, translated_errors


def test_a_failed_local_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()  # the target is a folder: the final rename fails
    with pytest.raises(StorageError, match="cannot write"):
        write_bytes(str(tmp_path / "report.json"), b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert list((tmp_path / "report.json").iterdir()) == []


def test_copy_and_delete(tmp_path: Path) -> None:
    source, target = str(tmp_path / "a" / "x.json"), f"memory://copy-{uuid.uuid4().hex}/y.json"
    write_bytes(source, b'{"x": 1}')
    copy_file(source, target)
    assert read_bytes(target) == b'{"x": 1}'
    delete_file(target)
    assert not exists(target)
    delete_file(target)  # deleting what is not there is nothing
    with pytest.raises(StorageError, match=r"cannot read .*: no such file or folder"):
        copy_file(target, source)
    assert read_bytes(source) == b'{"x": 1}'


def test_stamps_name_size_and_version(tmp_path: Path) -> None:
    write_bytes(str(tmp_path / "b.jsonl"), b"12345")
    write_bytes(str(tmp_path / "a.jsonl"), b"1")
    stamps = list_file_stamps(str(tmp_path))
    assert [(Path(uri).name, size) for uri, size, _ in stamps] == [("a.jsonl", 1), ("b.jsonl", 5)]
    assert all(version for _, _, version in stamps)
    assert list_file_stamps(str(tmp_path / "missing")) == []


@pytest.mark.parametrize(
    ("entry", "version"),
    [
        ({"ETag": '"abc"', "mtime": 5.0}, "abc"),
        ({"mtime": 5.0, "created": 1.0}, "5.0"),
        ({"LastModified": "2026-11-24"}, "2026-11-24"),
        ({"size": 3}, ""),
    ],
)
def test_the_version_is_the_etag_else_a_time(entry: dict[str, object], version: str) -> None:
    assert _version(entry) == version


def test_s3a_is_read_as_s3() -> None:
    assert locate("s3a://bucket/capture/x.jsonl").uri == "s3://bucket/capture/x.jsonl"


def test_s3_without_an_endpoint_uses_the_clients_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENDPOINT_VARIABLE, raising=False)
    assert locate("s3://bucket/key").filesystem.client_kwargs == {}
    monkeypatch.setenv(ENDPOINT_VARIABLE, "http://127.0.0.1:9")
    assert locate("s3://bucket/key").filesystem.client_kwargs == {
        "endpoint_url": "http://127.0.0.1:9"
    }


def test_a_protocol_without_its_package_names_the_extra() -> None:
    with pytest.raises(StorageError, match="the 'gcs' protocol needs an extra") as caught:
        locate("gcs://bucket/key")
    assert isinstance(caught.value.__cause__, ImportError)


def test_an_unknown_protocol_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="nope://x: Protocol not known: nope"):
        list_files("nope://x")


class _BotocoreError(Exception):
    """Stands for an exception of botocore's own tree (it is not an OSError)."""


_BotocoreError.__module__ = "botocore.exceptions"


@pytest.mark.parametrize(
    ("raised", "message"),
    [
        (PermissionError(13, "Permission denied"), "cannot read u: permission denied"),
        (OSError(28, "No space left on device"), "cannot read u: No space left on device"),
        (_BotocoreError("Could not connect"), "cannot read u: Could not connect"),
        (StorageError("already translated"), "already translated"),
    ],
)
def test_backend_errors_are_translated(raised: Exception, message: str) -> None:
    with pytest.raises(StorageError) as caught, translated_errors("u", "read"):
        raise raised
    assert str(caught.value) == message


def test_other_errors_are_not_storage_errors() -> None:
    with pytest.raises(KeyError), translated_errors("u", "read"):
        raise KeyError("a bug, not a storage failure")


def test_a_write_that_fails_before_its_temporary_exists_is_a_storage_error(
    tmp_path: Path,
) -> None:
    # The temporary name (".<name>.<uuid>") is longer than a file name may be: open() fails.
    name = "x" * 240
    with pytest.raises(StorageError, match=r"cannot write .*: File name too long"):
        write_bytes(str(tmp_path / name), b"{}")
    assert list(tmp_path.iterdir()) == []
