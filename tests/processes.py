"""The guard that fails a test which leaves a child process behind (autouse, in conftest)."""

from __future__ import annotations

import gc
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Helper processes that multiprocessing starts once and keeps for the life of the interpreter.
_INTERPRETER_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def children() -> dict[int, tuple[str, bool]]:
    """This process's child processes: pid → (command line, whether it has ended unwaited)."""
    children: dict[int, tuple[str, bool]] = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        for pid in map(int, pids):
            folder = Path("/proc") / str(pid)
            try:
                command = (folder / "cmdline").read_bytes()
                state = (folder / "stat").read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                command, state = b"", "Z"
            text = command.replace(b"\0", b" ").decode(errors="replace").strip()
            children[pid] = (text, state == "Z")
    return children


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Fail the test that leaves a child process behind: running, or ended but never waited.

    A process that nobody waits for outlives its test (and its ``Popen`` later warns in an
    unrelated test). This fixture is set up before the test's other function fixtures, so it
    looks after they have cleaned up; a process still running then gets a few seconds to end.
    The leaked processes are killed and reaped, then the test fails.
    """
    before = set(children())
    yield
    gc.collect()  # objects the test dropped end their processes when they are collected
    deadline = time.monotonic() + 5
    while True:
        leaked = {
            pid: child
            for pid, child in children().items()
            if pid not in before and not any(h in child[0] for h in _INTERPRETER_HELPERS)
        }
        if all(ended for _, ended in leaked.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for pid in leaked:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    if leaked:
        commands = {pid: command for pid, (command, _) in leaked.items()}
        pytest.fail(f"the test left child processes behind: {commands}", pytrace=False)
