"""The README, config.example.toml and .ci/run must agree with the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SETTINGS
from bot.core.limits import LIMITS
from bot.core.registry import COMMANDS
from bot.slack.manifest import BOT_EVENTS, BOT_SCOPES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_command_is_documented_with_usage_and_example() -> None:
    for command in COMMANDS.values():
        assert f"### `{command.name}`" in README
        assert command.usage_line() in README, command.name
        assert command.example in README, command.name
        assert command.summary in README.replace("\n", " "), command.name


def test_every_setting_is_in_the_readme_table() -> None:
    for setting in SETTINGS.values():
        assert f"| `{setting.env}` | `{setting.name}` |" in README


SH_BLOCKS = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def test_each_quick_start_command_makes_its_own_virtualenv() -> None:
    """A reader may run the test command in a new shell: it must not reach the system Python."""
    commands = [block for block in SH_BLOCKS if "pip install" in block]
    assert len(commands) == 2
    for command in commands:
        assert "\n" not in command and command.startswith(VENV), command


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    (command,) = [block for block in SH_BLOCKS if block.endswith("&& pytest")]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(line == command or line.startswith(command + " ||") for line in ci), command
    assert ci[-3:] == ["ruff check .", "ruff format --check .", "mypy bot"]


def test_every_scope_and_event_of_the_manifest_is_in_the_readme_tables() -> None:
    for scope in BOT_SCOPES:
        assert f"| `{scope}` |" in README, scope
    for event in BOT_EVENTS:
        assert f"| `{event}` |" in README, event


def test_every_cli_command_is_in_the_command_line_table() -> None:
    from bot.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert f"| `dienstplan {name}" in README, name


UNIT = ROOT / "deploy" / "dienstplan.service"


def test_the_readme_shows_the_systemd_unit_as_it_is() -> None:
    assert f"```ini\n{UNIT.read_text()}```" in README


def test_the_systemd_unit_restarts_on_failure_with_tokens_from_a_file() -> None:
    settings = [
        line.split("=", 1) for line in UNIT.read_text().splitlines() if re.match(r"\w+=", line)
    ]
    service = dict(settings)
    assert service["ExecStart"].endswith("/bin/dienstplan run")
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/dienstplan/env"
    assert service["Environment"] == "DIENSTPLAN_DATABASE=/var/lib/dienstplan/dienstplan.db"
    assert service["StateDirectory"] == "dienstplan"
    assert (service["NoNewPrivileges"], service["ProtectSystem"]) == ("yes", "strict")
    assert "SLACK_" not in "".join(value for key, value in settings if key == "Environment")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """With ExecStart pointed at this checkout's script, which systemd checks exists."""
    script = Path(sys.executable).parent / "dienstplan"
    unit = tmp_path / "dienstplan.service"
    unit.write_text(UNIT.read_text().replace("/opt/dienstplan/venv/bin/dienstplan", str(script)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_every_limit_is_in_the_readme_table() -> None:
    for limit in LIMITS:
        assert f"| {limit.value:,} | {limit.what} |" in README, limit
