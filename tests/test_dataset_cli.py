"""`vertex-tuning validate` and `convert` as users run them: the installed command, in a pipe."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
COMMAND = Path(sys.executable).parent / "vertex-tuning"
#: A run that takes longer than this hangs (a FIFO, a device): the test fails, it does not wait.
RUN_SECONDS = 60


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = str(COMMAND) if COMMAND.exists() else shutil.which("vertex-tuning")
    assert command, "the vertex-tuning command is not installed"
    return subprocess.run(
        [command, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        env={**os.environ, "NO_COLOR": "1", **env},
        timeout=RUN_SECONDS,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_validate_refuses_a_device_at_once(device: str) -> None:
    result = run("validate", device)

    assert result.returncode == 1
    assert result.stderr == (
        f"error: reading {device}: a character device, not a regular file; tuning data is read "
        "from a JSONL file\n"
    )


def test_validate_and_convert_refuse_a_fifo_and_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "train.jsonl"
    os.mkfifo(fifo)
    for args in (("validate", str(fifo)), ("convert", str(fifo), str(tmp_path / "out.jsonl"))):
        result = run(*args)
        assert result.returncode == 1
        assert "a FIFO (named pipe), not a regular file" in result.stderr
        no_traceback(result)
    result = run("validate", str(tmp_path))
    assert result.returncode == 1 and "a directory, not a regular file" in result.stderr


def test_validate_prints_a_lone_surrogate_even_to_an_ascii_terminal() -> None:
    result = run(
        "validate", str(DATA / "strict" / "lone_surrogate_role.jsonl"), PYTHONIOENCODING="ascii"
    )

    assert result.returncode == 1
    no_traceback(result)
    assert 'contents[0].role: must be "user" or "model", got "\\udc00"' in result.stdout


def test_validate_names_the_openai_format_and_points_at_convert() -> None:
    result = run("validate", str(DATA / "chat" / "openai.jsonl"))

    assert result.returncode == 1
    assert 'unknown field "messages" (the OpenAI chat format; ' in result.stdout
    assert "`vertex-tuning convert` rewrites the file" in result.stdout


def test_validate_method_preference() -> None:
    good = run("validate", "--method", "preference", str(DATA / "preference" / "good.jsonl"))
    bad = run("validate", "--method", "preference", str(DATA / "preference" / "same_scores.jsonl"))
    as_supervised = run("validate", str(DATA / "preference" / "good.jsonl"))

    assert good.returncode == 0, good.stdout
    assert "[training dataset, preference tuning]" in good.stdout
    assert bad.returncode == 1 and "line 3:" in bad.stdout
    assert as_supervised.returncode == 1 and "--method preference" in as_supervised.stdout


@pytest.mark.parametrize("name", ["openai", "gemini_1_0"])
def test_convert_then_validate(tmp_path: Path, name: str) -> None:
    target = tmp_path / "gemini.jsonl"

    converted = run("convert", str(DATA / "chat" / f"{name}.jsonl"), str(target))
    checked = run("validate", str(target))

    assert converted.returncode == 0, converted.stderr
    assert converted.stdout.startswith("converted ")
    assert checked.returncode == 0, checked.stdout


def test_convert_reports_bad_lines_by_number_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "chat.jsonl"
    good = (DATA / "chat" / "openai.jsonl").read_text().splitlines()[0]
    source.write_text(f"{good}\n{{oops\n{good}\n")
    target = tmp_path / "out.jsonl"

    result = run("convert", str(source), str(target))

    assert result.returncode == 1
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("line 2: not valid JSON: ")
    assert lines[-1].startswith("error: converting ") and "was not written" in lines[-1]
    assert not target.exists()


def test_convert_with_from_refuses_the_other_format(tmp_path: Path) -> None:
    result = run(
        "convert",
        "--from",
        "openai",
        str(DATA / "chat" / "gemini_1_0.jsonl"),
        str(tmp_path / "out.jsonl"),
    )
    assert result.returncode == 1
    assert 'line 1: this line is in the Gemini 1.0 "messages" format' in result.stderr


def test_help_lists_convert() -> None:
    result = run("--help")
    assert "convert" in result.stdout and "validate" in result.stdout
