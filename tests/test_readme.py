"""README.md's Quickstart stays true: two commands, and CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_quickstart_has_exactly_two_commands():
    assert len(_quickstart_commands()) == 2


def test_ci_runs_the_readme_test_command():
    test_command = _quickstart_commands()[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_first_command_runs_the_main_job_on_the_sample_pack():
    first = _quickstart_commands()[0]
    assert "shgeo screen data/sample/projects" in first
