"""The suite fails when a test leaves a process running: shown on a tiny generated suite."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests import leaks

ROOT = Path(__file__).resolve().parents[1]
# This suite's conftest as a plugin: the generated suite gets the same check.
PYTEST = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]

LEAKY = """
import subprocess, sys

def test_leaves_its_child_running():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    open({pids!r}, "a").write(f"{{child.pid}}\\n")

def test_leaves_an_orphan_that_init_adopts():
    # The shell exits at once; its background sleep is nobody's child in this run any more.
    subprocess.run(["sh", "-c", "sleep 300 & echo $! >> {pids}"], check=True)
"""

TIDY = """
import subprocess, sys

def test_waits_for_its_child():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
"""


def _pytest(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Run `source` as a suite of its own, with this suite's conftest (and so its check)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_generated.py").write_text(source)
    return subprocess.run(
        [*PYTEST, str(tmp_path / "test_generated.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_leaked_process_fails_the_suite_and_is_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    result = _pytest(tmp_path, LEAKY.format(pids=str(pids)))
    assert result.returncode == 1, result.stdout
    assert "2 passed, 1 error" in result.stdout
    assert "processes started by the tests were still running" in result.stdout
    assert "time.sleep(300)" in result.stdout and "sleep 300" in result.stdout
    leaked = [int(pid) for pid in pids.read_text().split()]
    assert len(leaked) == 2
    deadline = time.monotonic() + 10
    while any(leaks.is_alive(pid) for pid in leaked):
        assert time.monotonic() < deadline, f"still alive: {leaked}"
        time.sleep(0.05)


def test_a_suite_that_waits_for_its_processes_passes(tmp_path: Path) -> None:
    result = _pytest(tmp_path, TIDY)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout
