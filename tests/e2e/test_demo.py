"""`make demo`'s script in a clone of the working tree: it deploys, and leaves `git status` clean.

The engine writes a passphrase's encryptionsalt into a stack's config on the first `stack
select`; the demo used to run on the committed stacks/Pulumi.dev.yaml and so modified it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def clone_working_tree(dest: Path) -> Path:
    """The files git would commit now (tracked and new, not ignored), committed in a new repo."""
    files = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, files):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "clone")
    # `make demo` makes .venv itself; the clone borrows this one (a symlink, which `.venv/` in
    # .gitignore does not cover), so git is told to ignore it here only.
    (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (dest / ".git" / "info" / "exclude").write_text(".venv\n")
    return dest


def free_port_pair() -> int:
    """A port P with P+1 free too (the demo puts Cloud Storage on P+1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two adjacent free ports")


def test_demo_deploys_and_leaves_git_status_clean(pulumi_bin: str, tmp_path: Path) -> None:
    clone = clone_working_tree(tmp_path / "clone")
    env = {
        **os.environ,
        "PATH": os.pathsep.join([pulumi_bin, str(Path(sys.executable).parent), os.environ["PATH"]]),
        "VERTEX_EMULATOR_PORT": str(free_port_pair()),
        "VERTEX_EMULATOR_JOB_SECONDS": "1",
    }
    for key in ("PULUMI_BACKEND_URL", "VERTEX_API_ENDPOINT", "STORAGE_EMULATOR_HOST"):
        env.pop(key, None)
    for _ in range(2):  # a second run reuses the stack and its salt
        done = subprocess.run(
            ["bash", "scripts/demo.sh"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Done. The state lives in" in done.stdout
        assert git(clone, "status", "--porcelain", "--untracked-files=all") == ""
