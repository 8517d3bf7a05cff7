"""Find the processes a test run started and left running (Linux: reads /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
MARKER = "DIENSTPLAN_TEST_RUN"
"""Set in the test run's environment, so every child inherits it, and so do their children
after their parent died and init adopted them."""


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid}: {self.command}"


def leftovers(root: int, token: str) -> list[Process]:
    """Live descendants of `root`, and live processes whose environment carries `token`."""
    processes = {p.pid: p for p in _live_processes()}
    children: dict[int, list[int]] = {}
    for process in processes.values():
        children.setdefault(process.parent, []).append(process.pid)
    found = set(_descendants(root, children))
    found.update(pid for pid in processes if pid != root and _carries(pid, token))
    return [processes[pid] for pid in sorted(found)]


def kill(processes: list[Process]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)


def is_alive(pid: int) -> bool:
    return any(p.pid == pid for p in _live_processes())


def _descendants(root: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _live_processes() -> list[Process]:
    """Every process but zombies (they have exited; only their exit status is left)."""
    processes = []
    for entry in PROC.glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it exited while we looked
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, parent = stat.rpartition(")")[2].split()[:2]
        if state != "Z":
            processes.append(Process(int(entry.name), int(parent), command.strip()))
    return processes


def _carries(pid: int, token: str) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:  # exited, or another user's process
        return False
    return f"{MARKER}={token}".encode() in environ.split(b"\0")
