"""Executions in real worker processes fail for real reasons, and say them.

An output location that is a file, a baseline that is not a document, an S3 endpoint nobody
answers, a missing bucket, a worker killed mid-run, a parent killed mid-run, a run that is too
long: each ends with a reason a person can act on, and nothing runs on unseen.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from tests.capture_data import T
from tests.processes import children
from tests.unit.jobs.test_execution import capture_window, definition, rows

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.jobs.attempt import LOST
from biaswatch.jobs.worker import Worker, run_in_worker
from biaswatch.status import ExecutionStatus


@pytest.fixture
def base(tmp_path: Path) -> str:
    capture_window(str(tmp_path), rows(200, biased=False))
    return str(tmp_path)


def test_an_output_location_that_is_a_file(base: str, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    outcome = run_in_worker(definition(base, output_uri=str(tmp_path / "blocker")), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith(f"StorageError: cannot write {tmp_path}/blocker/")
    assert outcome.failure_reason.endswith(": Not a directory")


def test_a_baseline_that_is_not_a_document(base: str, tmp_path: Path) -> None:
    (tmp_path / "baseline.json").write_text("[]")
    chosen = definition(base, baseline_constraints_uri=str(tmp_path / "baseline.json"))
    outcome = run_in_worker(chosen, T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason == (
        f"BaselineError: baseline constraints {tmp_path}/baseline.json: expected a JSON object"
        " (a baseline's analysis.json), found list"
    )
    # The diagnostics say it too, next to the outputs.
    diagnostics = next(tmp_path.glob("reports/**/diagnostics.json")).read_text()
    assert "expected a JSON object" in diagnostics


def test_an_s3_endpoint_that_nobody_answers(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket_nobody_listens_on() as port:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
            "BIASWATCH_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }.items():
            monkeypatch.setenv(name, value)
        outcome = run_in_worker(definition(base, output_uri="s3://reports/out"), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith("StorageError: cannot write s3://reports/out/ep/")
    assert f'Could not connect to the endpoint URL: "http://127.0.0.1:{port}/' in (
        outcome.failure_reason
    )


def test_a_missing_bucket(base: str, s3_bucket: str) -> None:
    outcome = run_in_worker(definition(base, output_uri=f"{s3_bucket}-missing/out"), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith(f"StorageError: cannot write {s3_bucket}-missing/")


@pytest.fixture
def silent_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3 endpoint that takes connections and never answers: reading from it waits."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
            "BIASWATCH_S3_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
        }.items():
            monkeypatch.setenv(name, value)
        yield "s3://silent"


def _blocking_window(tmp_path: Path, silent_s3: str) -> MonitoringJobDefinition:
    """An execution that waits on its capture (an S3 endpoint that never answers)."""
    return definition(str(tmp_path), endpoint_input=EndpointInputDefinition(
        endpoint_name="ep", capture_uri=f"{silent_s3}/capture"))  # fmt: skip


def test_a_run_longer_than_its_max_runtime_is_stopped(tmp_path: Path, silent_s3: str) -> None:
    chosen = _blocking_window(tmp_path, silent_s3)
    started = time.monotonic()
    outcome = run_in_worker(chosen, T, timeout=1.0)
    assert time.monotonic() - started < 10
    assert outcome.status is ExecutionStatus.STOPPED
    assert outcome.failure_reason == (
        "the execution ran longer than max_runtime_in_seconds=1 and was stopped"
    )


def test_a_killed_worker_fails_with_its_signal_and_the_worker_is_replaced(
    tmp_path: Path, base: str, silent_s3: str
) -> None:
    with Worker() as worker:
        killed: list[int] = []

        def kill_when_started() -> None:
            deadline = time.monotonic() + 60
            while worker.pid is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(1.0)  # well into the execution, which waits on its capture
            assert worker.pid is not None
            killed.append(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        outcome = worker.run(_blocking_window(tmp_path, silent_s3), T)
        killer.join()
        assert outcome.status is ExecutionStatus.FAILED
        assert outcome.failure_reason == (
            "the worker process running the execution was killed by SIGKILL before finishing"
        )
        after = worker.run(definition(base, output_uri=f"{base}/reports"), T)
        assert after.status is ExecutionStatus.COMPLETED
        assert worker.pid not in killed


def test_a_worker_whose_parent_is_killed_stops_and_writes_nothing(
    tmp_path: Path, silent_s3: str
) -> None:
    blocked = _blocking_window(tmp_path, silent_s3).model_dump_json()
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                sys.path.insert(0, {str(Path(__file__).parents[2])!r})
                from tests.capture_data import T
                from biaswatch.config.monitor import MonitoringJobDefinition
                from biaswatch.jobs.worker import run_in_worker
                run_in_worker(MonitoringJobDefinition.model_validate_json({blocked!r}), T)
                """
            ),
        ]
    )
    deadline = time.monotonic() + 60
    worker = None
    while worker is None and time.monotonic() < deadline:
        worker = next(
            (pid for pid in _descendants(parent.pid) if "biaswatch.jobs.worker" in _cmd(pid)),
            None,
        )
        time.sleep(0.05)
    assert worker is not None, "the worker did not start"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker), "the orphaned worker is still running"
    assert not list(tmp_path.glob("reports/**/*.json"))
    assert worker not in children()


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [grand for child in found for grand in _descendants(child)]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class socket_nobody_listens_on:
    """A loopback port bound but not listening: connections to it are refused at once."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        return int(self._socket.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self._socket.close()


def test_an_execution_that_lost_its_slot_writes_nothing(base: str, tmp_path: Path) -> None:
    asked: list[bool] = []

    def lease_lost() -> bool:
        asked.append(True)
        return False

    outcome = run_in_worker(definition(base), T, may_commit=lease_lost)
    assert asked == [True]  # asked once, just before writing
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason == LOST
    assert not list(tmp_path.glob("reports/**/*"))
    kept = run_in_worker(definition(base), T, may_commit=lambda: True)
    assert kept.status is ExecutionStatus.COMPLETED
    assert sorted(p.name for p in tmp_path.glob("reports/**/*.*")) == [
        "analysis.json", "diagnostics.json", "report.html",
    ]  # fmt: skip


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB tmpfs: the execution's files do not fit (CI runs as root, which may mount)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_filesystem(base: str, tiny_filesystem: Path) -> None:
    outcome = run_in_worker(definition(base, output_uri=str(tiny_filesystem)), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith(f"StorageError: cannot write {tiny_filesystem}/")
    assert outcome.failure_reason.endswith(": No space left on device")


def test_the_s3_server_stopped_mid_run(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from tests.s3_server import moto_server

    with ExitStack() as stack:
        server = stack.enter_context(moto_server())
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
            "BIASWATCH_S3_ENDPOINT_URL": server,
        }.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3", endpoint_url=server).create_bucket(Bucket="reports")

        def stop_the_server_then_allow() -> bool:
            stack.close()  # the window is read; the server goes away before the writes
            return True

        outcome = run_in_worker(
            definition(base, output_uri="s3://reports/out"),
            T,
            may_commit=stop_the_server_then_allow,
        )
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith("StorageError: cannot write s3://reports/out/")
    assert "Could not connect to the endpoint URL" in outcome.failure_reason


def test_a_filesystem_that_raises_anything_fails_the_execution_with_where(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's boundary: any exception becomes the reason, with its type and location."""
    import biaswatch.jobs.execution as execution
    from biaswatch.jobs import worker

    def broken_write(uri: str, content: bytes) -> None:
        raise RuntimeError(f"the filesystem gave up on {uri}")

    monkeypatch.setattr(execution, "write_bytes", broken_write)
    request = (definition(base).model_dump_json(), T, None, dict(os.environ))
    outcome = worker._execute(request, lambda: True)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith("RuntimeError: the filesystem gave up on ")
    assert outcome.failure_reason.endswith("(at test_worker_failures.py:" + str(
        broken_write.__code__.co_firstlineno + 1) + ", in broken_write)")  # fmt: skip
