"""Who holds a running attempt: ``host:pid:label/token``, and whether that process still lives.

A lease owner names the host and process that run an attempt, what the process is (``manual``,
``scheduler``…) and a token of the attempt's own (:func:`attempt_owner`), so that no two
attempts share an owner. Another process
on the same host can tell that the owner is gone (its pid no longer exists) without waiting for
the lease to run out; an owner on another host is judged by its lease alone.
"""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["attempt_owner", "owner_alive", "process_owner"]


def process_owner(label: str) -> str:
    """The calling process as an owner: ``host:pid:label``."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}"


def attempt_owner(process: str) -> str:
    """A new owner name for one attempt run by ``process`` (a :func:`process_owner`)."""
    return f"{process}/{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str) -> bool:
    """False when ``owner`` is a process on this host that no longer exists; else True."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's process
        return True
    return True
