"""The README, config.example.toml and .ci/run must agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import SETTINGS
from bot.core.registry import COMMANDS

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


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"```sh\n(pip install -e .*pytest)\n```", README)
    assert command is not None
    assert command.group(1) in (ROOT / ".ci" / "run").read_text()
