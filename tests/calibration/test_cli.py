"""``lsi-rig calibrate`` through the installed CLI framework: results, figures, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lsi_rig.calibration.store import current_folder, list_calibrations, read_calibration
from lsi_rig.cli.app import main

pytestmark = pytest.mark.timeout(300)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(list(args))
    captured = capsys.readouterr()
    out = [line for line in captured.out.splitlines() if line.strip()]
    err = [line for line in captured.err.splitlines() if line.strip()]
    return code, out, err


FAST = ("--levels", "4", "--check-seconds", "1", "--quiet")


def test_calibrate_all_on_the_ideal_rig(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        capsys,
        "calibrate",
        "all",
        "--rig",
        "sim-ideal",
        "--masks",
        "demo:hadamard16:24",
        "--out",
        str(tmp_path),
        *FAST,
    )
    assert code == 0, (out, err)
    steps = [line.split("]")[0][1:] for line in out if line.startswith("[") and "] ok:" in line]
    assert steps == ["dark", "gain", "monitor", "registration", "response", "check"]
    figures = [Path(line.split("figure: ")[1]) for line in out if "figure: " in line]
    assert len(figures) == 6 and all(f.read_bytes()[:4] == b"\x89PNG" for f in figures)
    folder = current_folder(tmp_path / "sim-ideal")
    assert folder is not None and out[-1].startswith(f"calibration {folder} is now current")
    content = read_calibration(folder).content
    assert content.status == "ok" and content.provenance.masks.name == "hadamard16:24"
    assert content.provenance.command.startswith("lsi-rig ") or content.provenance.command
    # a later single step reuses the masks of the last calibration and builds on it
    code, out, err = _run(
        capsys, "calibrate", "dark", "--rig", "sim-ideal", "--out", str(tmp_path), *FAST
    )
    assert code == 0, (out, err)
    assert any(line == f"building on {folder}" for line in out)
    assert len(list_calibrations(tmp_path / "sim-ideal")) == 2
    assert current_folder(tmp_path / "sim-ideal") != folder


def test_a_rejected_step_exits_1_and_keeps_the_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rig file whose monitor image is smaller than the mask area (scale 0.9)."""
    rig = yaml.safe_load(Path(__file__).with_name("small_image_rig.yaml").read_text())
    rig_path = tmp_path / "small.yaml"
    rig_path.write_text(yaml.safe_dump(rig))
    code, out, err = _run(
        capsys,
        "calibrate",
        "registration",
        "--rig",
        str(rig_path),
        "--masks",
        "demo:hadamard32:64",
        "--out",
        str(tmp_path),
        *FAST,
    )
    assert code == 1, (out, err)
    assert any(
        line.startswith("[registration] REJECTED: the monitor image covers only") for line in out
    )
    assert "the calibration in force stays: none" in out[-1]
    assert current_folder(tmp_path / "small-image") is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["calibrate", "all", "--rig", "nope.yaml", "--masks", "demo:hadamard16"],
            "rig file nope.yaml: not found",
        ),
        (["calibrate", "all", "--rig", "sim", "--masks", "demo:hadamard7"], "hadamard"),
        (
            [
                "calibrate",
                "all",
                "--rig",
                "sim",
                "--masks",
                "demo:hadamard16",
                "--walsh-order",
                "12",
            ],
            "--walsh-order 12",
        ),
        (["calibrate", "dark", "--rig", "sim-ideal"], "give --masks SPEC"),
        (
            [
                "calibrate",
                "response",
                "--rig",
                "sim",
                "--masks",
                "demo:hadamard16",
                "--images",
                "missing-dir",
            ],
            "missing-dir",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, *args, "--out", str(tmp_path / "cal"))
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("lsi-rig: error: ") and needle in err[0], err
    assert not (tmp_path / "cal").exists()  # nothing left behind


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["focus", "--rig", "sim"], "unknown calibration step 'focus'"),
        (["monitor", "--rig", "sim", "--masks", "demo:hadamard16", "--levels", "2"], "--levels 2"),
    ],
)
def test_bad_arguments_in_the_installed_cli(tmp_path: Path, args: list[str], needle: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lsi_rig.cli.app", "calibrate", *args, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert not any(tmp_path.iterdir())
