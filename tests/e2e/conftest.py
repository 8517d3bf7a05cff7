from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import PROCESSES, BotProcess, Conversation
from tests.emulator import SlackEmulator


@pytest.fixture(autouse=True)
def _end_processes() -> Iterator[None]:
    """Set up first, so torn down last: no process a test started outlives the test."""
    yield
    PROCESSES.end_all()


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def bot(emu: SlackEmulator, tmp_path: Path, database: str | Path) -> Iterator[BotProcess]:
    process = BotProcess(emu, tmp_path, database).start()
    yield process
    if process.process and process.process.poll() is None:
        process.stop()


@pytest.fixture
def chat(emu: SlackEmulator, bot: BotProcess) -> Conversation:
    return Conversation(emu)
