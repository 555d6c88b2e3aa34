"""Running executions in a worker process: ``python -m biaswatch.jobs.worker``, fed over a pipe.

A worker process keeps one slow or crashing execution from blocking or taking down its caller,
and lets ``max_runtime_in_seconds`` stop it. It is started as ``python -m
biaswatch.jobs.worker`` — never by re-importing the caller's ``__main__``, as multiprocessing's
"spawn" does — so plain top-level scripts, code piped on stdin and notebooks run executions
as they are. It imports only what an execution needs (no CLI, no store, no alembic).

One :class:`Worker` runs executions one after another, so a backfill or the scheduler pays the
imports once. The protocol is length-prefixed pickle frames: the request (the job definition
as JSON, the scheduled time, the attempt plan, the caller's environment) on the worker's stdin;
on its original stdout, one question before it writes its files ("may I commit?", answered on
stdin: yes while the caller holds the slot's lease), then the
:class:`~biaswatch.jobs.attempt.ExecutionOutcome` (whatever the execution prints goes to
stderr instead). The worker's stderr goes to a file whose tail is kept with a failed execution.
A worker whose parent has gone exits at once, so it cannot write the files of an execution its
caller no longer records.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.config.settings import engine_setting
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.attempt import AttemptPlan, ExecutionOutcome, execution_output_uri
from biaswatch.status import ExecutionStatus

__all__ = ["STDERR_TAIL", "Worker", "run_in_worker"]

#: How much of a failed worker's stderr is kept with the execution (characters).
STDERR_TAIL = 4000
_HEADER = struct.Struct("!Q")
# The worker's frames: a question before it writes its files, and the outcome.
_MAY_COMMIT, _OUTCOME = "may-commit", "outcome"
_PARENT_POLL = 0.2
#: How often (seconds) a running execution checks whether it was cancelled.
_CANCEL_POLL = 0.25


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(stream, _HEADER.unpack(header)[0])


class Worker:
    """A worker process that runs executions one at a time; started on first use.

    Use it as a context manager, or call :meth:`close`. After a crash or a stop for running too
    long, the next :meth:`run` starts a new process.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.close()
        # Appending, so that the tail can be cut before each request while the worker writes.
        folder = tempfile.mkdtemp(prefix="biaswatch-worker-")
        path = os.path.join(folder, "stderr")
        self._stderr = open(path, "a+b")  # noqa: SIM115 (closed by close())
        os.unlink(path)
        os.rmdir(folder)
        # The worker imports the same biaswatch as this process, wherever it was imported from.
        package_root = str(Path(__file__).resolve().parents[2])
        path_entries = [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "biaswatch.jobs.worker", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=os.environ | {"PYTHONPATH": os.pathsep.join(path_entries)},
        )
        return self._process

    def run(
        self,
        definition: MonitoringJobDefinition,
        scheduled_time: datetime,
        *,
        timeout: float | None = None,
        may_commit: Callable[[], bool] | None = None,
        plan: AttemptPlan | None = None,
        cancel: threading.Event | None = None,
    ) -> ExecutionOutcome:
        """Run one execution (attempt ``plan``) in the worker; ``timeout`` seconds at most.

        Before it writes its files, the worker asks ``may_commit()`` here (the caller checks
        that it still holds the slot's lease). When ``cancel`` is set (the execution was
        stopped), the worker is ended within :data:`_CANCEL_POLL` seconds, writing nothing.
        """
        process = self._start()
        assert process.stdin is not None
        assert process.stdout is not None
        assert self._stderr is not None
        self._stderr.truncate(0)
        output = execution_output_uri(definition, scheduled_time)
        request = (definition.model_dump_json(), scheduled_time, plan, dict(os.environ))
        try:
            _write_frame(process.stdin, pickle.dumps(request))
        except BrokenPipeError:
            return self._died(output)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait = remaining if cancel is None else min(remaining or _CANCEL_POLL, _CANCEL_POLL)
            ready, _, _ = select.select([process.stdout], [], [], wait)
            if not ready and cancel is not None and cancel.is_set():
                self._kill()
                return ExecutionOutcome(
                    ExecutionStatus.STOPPED, output, "the execution was stopped while it ran"
                )
            if not ready and (deadline is None or time.monotonic() < deadline):
                continue
            if not ready:
                self._kill()
                return ExecutionOutcome(
                    ExecutionStatus.STOPPED,
                    output,
                    f"the execution ran longer than max_runtime_in_seconds={timeout:g} and was"
                    " stopped",
                )
            frame = _read_frame(process.stdout)
            if frame is None:
                return self._died(output)
            kind, value = pickle.loads(frame)
            if kind == _OUTCOME:
                outcome: ExecutionOutcome = value
                return outcome
            allowed = may_commit is None or may_commit()
            try:
                _write_frame(process.stdin, pickle.dumps(allowed))
            except BrokenPipeError:
                return self._died(output)

    def _died(self, output: str) -> ExecutionOutcome:
        process = self._process
        assert process is not None
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # its output closed, yet it runs on: end it
            process.kill()
            code = process.wait()
        how = (
            f"was killed by {signal.Signals(-code).name}"
            if code < 0
            else f"exited with code {code}"
        )
        reason = f"the worker process running the execution {how} before finishing"
        tail = self.stderr_tail()
        if tail:
            reason += f"; its last output: {tail}"
        self.close()
        return ExecutionOutcome(ExecutionStatus.FAILED, output, reason)

    def stderr_tail(self) -> str:
        """The end of what the worker wrote to stderr since the current request began."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - STDERR_TAIL))
        return self._stderr.read().decode(errors="replace").strip()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self.close()

    def close(self) -> None:
        """End the worker (it finishes nothing: call between executions) and free its pipes."""
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None
            assert process.stdout is not None
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()  # the worker's cue to exit
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def run_in_worker(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    timeout: float | None = None,
    worker: Worker | None = None,
    may_commit: Callable[[], bool] | None = None,
    plan: AttemptPlan | None = None,
    cancel: threading.Event | None = None,
) -> ExecutionOutcome:
    """Run :func:`run_execution` in ``worker``, or in a worker of its own; ``timeout`` at most.

    See :meth:`Worker.run` for ``may_commit`` and ``cancel``.
    """
    with contextlib.ExitStack() as stack:
        runner = worker if worker is not None else stack.enter_context(Worker())
        return runner.run(
            definition,
            scheduled_time,
            timeout=timeout,
            may_commit=may_commit,
            plan=plan,
            cancel=cancel,
        )


# --------------------------------------------------------------------------- the worker side


def _exit_when_orphaned(parent: int) -> None:
    """End this process as soon as its parent has gone (it is re-parented; its ppid changes)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os._exit(1)


class _NoPandas(importlib.abc.MetaPathFinder):
    """Finds pandas nowhere, as if it were not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@contextlib.contextmanager
def _pandas_hidden(definition: MonitoringJobDefinition) -> Iterator[None]:
    """Hide pandas from a local execution: pyarrow would import it for nothing.

    pyarrow imports pandas, when it is installed, at its first conversion from Python objects
    or to numpy (about 0.25 s of CPU, on every execution); no engine but Spark's uses pandas.
    Having found none once, pyarrow converts without it for the rest of the process, and
    still imports it where pandas itself is asked for (``to_pandas``), as Spark's engine does.
    """
    try:
        engine = definition.engine or engine_setting()
    except BiaswatchError:
        engine = None  # the execution says what is wrong with the setting
    if engine != "local" or "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _execute(
    request: tuple[str, datetime, AttemptPlan | None, dict[str, str]],
    may_commit: Callable[[], bool],
) -> ExecutionOutcome:
    definition_json, scheduled_time, plan, environment = request
    os.environ.clear()
    os.environ.update(environment)
    definition = MonitoringJobDefinition.model_validate_json(definition_json)
    from biaswatch.jobs.execution import run_execution  # (loaded by _serve already)

    try:
        with _pandas_hidden(definition):
            outcome = run_execution(definition, scheduled_time, may_commit=may_commit, plan=plan)
    except Exception as exc:  # the process boundary: any failure is the execution's reason
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = (
            f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno},"
            f" in {where.name})"
        )
        traceback.print_exc()
        return ExecutionOutcome(
            ExecutionStatus.FAILED, execution_output_uri(definition, scheduled_time), reason
        )
    # The analysis result stays here: the caller needs the document and the verdict.
    return replace(outcome, result=None)


def _serve(parent: int) -> None:
    """Answer requests from stdin until it closes, or until ``parent`` is gone."""
    # What every execution needs, loaded while the caller still prepares the first request.
    import biaswatch.jobs.execution  # noqa: F401

    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not break the protocol
    # The parent's pid comes from the parent: it may have died while this process was starting.
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    requests = sys.stdin.buffer

    def may_commit() -> bool:
        _write_frame(answers, pickle.dumps((_MAY_COMMIT, None)))
        answer = _read_frame(requests)
        return answer is not None and pickle.loads(answer) is True

    while (frame := _read_frame(requests)) is not None:
        request: Any = pickle.loads(frame)
        _write_frame(answers, pickle.dumps((_OUTCOME, _execute(request, may_commit))))


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
