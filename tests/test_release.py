"""The release as a platform repo pins it: `make dist`'s wheel and sdist, their metadata, the one
version, the LICENSE, the `emulator` extra, and what `vertex-tuning emulator` says without it.

The wheel is installed into a clean virtualenv and deployed from the template in
tests/e2e/test_release_install.py; here it is only built and read.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

from vertex_tuning import __version__

REPO = Path(__file__).resolve().parents[1]
#: What only the emulator needs: a production install must not pull these in.
EMULATOR_ONLY = ("werkzeug", "gcp-storage-emulator", "google-api-python-client")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`make dist`'s command, into a temp dir: the built files and the build's output."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout + done.stderr


def wheel_metadata(dist_dir: Path) -> Message:
    (wheel,) = dist_dir.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


def test_dist_builds_a_wheel_and_an_sdist_named_by_the_one_version(dist: tuple[Path, str]) -> None:
    out, _ = dist
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        f"vertex_tuning-{__version__}-py3-none-any.whl",
        f"vertex_tuning-{__version__}.tar.gz",
    ]
    assert wheel_metadata(out)["Version"] == __version__


def test_the_build_prints_no_deprecation_warning(dist: tuple[Path, str]) -> None:
    """Before SPDX `license` and `license-files`, setuptools warned on every build and install."""
    _, log = dist
    assert "Deprecat" not in log, log
    assert "project.license" not in log, log


def test_the_license_is_an_spdx_expression_shipped_with_its_text(dist: tuple[Path, str]) -> None:
    out, _ = dist
    meta = wheel_metadata(out)
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text()
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert f"vertex_tuning-{__version__}.dist-info/licenses/LICENSE" in archive.namelist()
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert f"vertex_tuning-{__version__}/LICENSE" in archive.getnames()


def test_the_emulator_dependencies_are_an_extra_not_a_requirement(dist: tuple[Path, str]) -> None:
    out, _ = dist
    requires = wheel_metadata(out).get_all("Requires-Dist") or []
    plain = [r for r in requires if "extra ==" not in r]
    extra = [r for r in requires if 'extra == "emulator"' in r]
    for name in EMULATOR_ONLY:
        assert not any(r.startswith(name) for r in plain), plain
        assert any(r.startswith(name) for r in extra), extra
    assert any(r.startswith("pulumi") for r in plain)


def test_changelog_and_template_name_the_packages_version() -> None:
    """The version lives in vertex_tuning/_version.py; these two only repeat it, checked here."""
    changelog = (REPO / "CHANGELOG.md").read_text()
    first = re.search(r"(?m)^## \[?(\d+\.\d+\.\d+)\]?", changelog)
    assert first is not None and first.group(1) == __version__
    pins = (REPO / "templates" / "vertex-tuning-python" / "requirements.txt").read_text()
    assert f"vertex-tuning=={__version__}" in pins


def test_emulator_without_the_extra_says_what_to_install() -> None:
    """As in an install without the extra: the two modules cannot be imported."""
    for module in ("werkzeug", "gcp_storage_emulator", "googleapiclient"):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.modules[{module!r}] = None\n"
                "from vertex_tuning.cli import main\n"
                "main(['emulator', '--port', '0'])",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr == (
            f"error: the emulator needs the `emulator` extra ({module} is not installed): "
            "pip install 'vertex-tuning[emulator]'\n"
        )
        assert "Traceback" not in done.stdout + done.stderr
