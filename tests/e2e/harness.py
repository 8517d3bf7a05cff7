"""Start the real `dienstplan run` process against the Slack emulator and talk to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.emulator import SlackEmulator
from tests.emulator.server import ApiCall, Envelope

ROOT = Path(__file__).resolve().parents[2]


class Processes:
    """Every process the harness starts, so a fixture can end them after each test, pass or fail."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[bytes]] = []

    def popen(self, args: list[str], **options: Any) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = subprocess.Popen(args, **options)
        self._started.append(process)
        return process

    def end_all(self) -> None:
        """Kill what is still running: a test that wanted a clean stop has stopped it."""
        for process in self._started:
            if process.poll() is None:
                process.kill()
            process.wait(10)
        self._started.clear()


PROCESSES = Processes()


class BotProcess:
    """One `python dienstplan.py run` subprocess; its output goes to a log file for failures."""

    def __init__(
        self, emu: SlackEmulator, workdir: Path, database: str | Path | None = None, **env: str
    ) -> None:
        """`database`: a PostgreSQL URL, or the SQLite file (by default one in `workdir`)."""
        self.emu = emu
        self.workdir = workdir
        self.database = database or workdir / "dienstplan.db"
        self.log_path = workdir / "bot.log"
        self.env = {
            **os.environ,
            "SLACK_BOT_TOKEN": emu.bot_token,
            "SLACK_APP_TOKEN": emu.app_token,
            "SLACK_API_URL": emu.api_url,
            "DIENSTPLAN_DATABASE": str(self.database),
            "DIENSTPLAN_TIMEZONE": "Europe/Berlin",
            "DIENSTPLAN_LOG_LEVEL": "INFO",
            **env,
        }
        self.env.pop("DIENSTPLAN_CONFIG", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> BotProcess:
        connects = self.emu.connects_total
        self.launch()
        self.wait_connected(connects, timeout)
        return self

    def launch(self) -> None:
        """Start the process without waiting: replicas start together."""
        log = self.log_path.open("ab")
        self.process = PROCESSES.popen(
            [sys.executable, str(ROOT / "dienstplan.py"), "run"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_connected(self, connects: int, timeout: float = 20.0) -> None:
        """Until the emulator has seen more than `connects` connections in all."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.emu.connects_total <= connects:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot did not connect within {timeout}s:\n{self.log()}")
            time.sleep(0.02)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def kill(self) -> None:
        """A crash: no clean-up code runs."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Conversation:
    """Say something to the bot and read its answer, the way a person in a channel would."""

    def __init__(self, emu: SlackEmulator) -> None:
        self.emu = emu

    def send(
        self,
        text: str,
        *,
        channel: str = "C0CHAN",
        user: str = "U0ALICE",
        thread_ts: str | None = None,
    ) -> tuple[Envelope, int]:
        before = len(self.emu.posts(channel))
        envelope = self.emu.mention(
            f"<@{self.emu.bot_user_id}> {text}", channel=channel, user=user, thread_ts=thread_ts
        )
        return envelope, before

    def say(
        self,
        text: str,
        *,
        channel: str = "C0CHAN",
        user: str = "U0ALICE",
        thread_ts: str | None = None,
        timeout: float = 10.0,
    ) -> str:
        """Mention the bot; return the text of its reply once the envelope is acknowledged."""
        return self.reply_to(
            *self.send(text, channel=channel, user=user, thread_ts=thread_ts),
            channel=channel,
            timeout=timeout,
        ).params["text"]

    def reply_to(
        self, envelope: Envelope, before: int, *, channel: str, timeout: float = 10.0
    ) -> ApiCall:
        posts = self.emu.wait_for_posts(before + 1, channel=channel, timeout=timeout)
        self.emu.wait_for_ack(envelope, timeout=timeout)
        return posts[before]
