"""Acceptance (issue 8): a 300-scene sim capture killed with SIGKILL at 10 random moments and
resumed each time ends complete, with no duplicate and no gap, and its vectors bit-identical to
an uninterrupted run of the same seeded world.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import RunStatus, open_session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

N_SCENES = 300
N_KILLS = 10


def _cmd(images: Path, *target: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lsi_rig.cli.app",
        "capture",
        "--rig",
        "sim",
        "--masks",
        "demo:hadamard16:64",
        "--images",
        str(images),
        *target,
        "--size",
        "32",
        "--quiet",
    ]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenes")
    rng = np.random.default_rng(11)
    for i in range(N_SCENES):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            folder / f"scene_{i:03d}.png"
        )
    return folder


def _committed(path: Path) -> int:
    """Records a reader sees now (0 before the file exists or while it is being created)."""
    if not path.exists():
        return 0
    try:
        with open_session(path) as r:
            return r.n_records
    except SessionError:
        return 0


def _by_key(path: Path) -> dict[tuple[int, int], bytes]:
    with open_session(path) as r:
        table = r.records_table()
        samples = r.vectors("samples")
    keys = list(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))
    assert len(set(keys)) == len(keys), "duplicate (scene, repeat) records"
    return {k: samples[i].tobytes() for i, k in enumerate(keys)}


def test_kill_and_resume_ends_complete_and_bit_identical(images: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.h5"
    subprocess.run(_cmd(images, "--out", str(reference)), check=True, timeout=600)
    expected = _by_key(reference)
    assert len(expected) == N_SCENES

    out = tmp_path / "resumed.h5"
    rng = np.random.default_rng(2027)
    counts = []
    for k in range(N_KILLS):
        target = ("--resume", str(out)) if out.exists() else ("--out", str(out))
        before = _committed(out)
        room = (N_SCENES - before) // (N_KILLS - k + 1)  # leave records for the later kills
        goal = before + int(rng.integers(3, max(4, room)))
        proc = subprocess.Popen(_cmd(images, *target), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _committed(out) < goal and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.0, 0.02))
        assert proc.poll() is None, f"run {k} ended by itself (exit {proc.returncode})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        counts.append(_committed(out))
    assert len(set(counts)) >= N_KILLS // 2, counts  # killed at genuinely different moments
    assert counts == sorted(counts) and counts[-1] < N_SCENES, counts  # nothing lost
    # finish it
    target = ("--resume", str(out)) if out.exists() else ("--out", str(out))
    done = subprocess.run(_cmd(images, *target), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open_session(out) as r:
        assert r.status is RunStatus.COMPLETE
        assert r.n_records == N_SCENES
        resumes = [line for line in r.log_lines() if "capture resumed" in line]
    assert len(resumes) >= N_KILLS // 2
    got = _by_key(out)
    assert sorted(got) == sorted(expected)  # no gap, no duplicate
    differing = [k for k in expected if got[k] != expected[k]]
    assert differing == [], f"{len(differing)} records differ from the uninterrupted run"


def test_resume_refuses_another_plan(images: Path, tmp_path: Path) -> None:
    few = tmp_path / "few"
    few.mkdir()
    for path in sorted(images.iterdir())[:3]:
        (few / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "s.h5"
    proc = subprocess.run(_cmd(few, "--out", str(out)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    cases = {
        "another mask set": ("--masks", "demo:hadamard16:32", few),
        "another rig": ("--rig", "sim-ideal", few),
        "other scenes": ("--size", "32", images),
        "a complete session": ("--size", "32", few),
    }
    for label, (flag, value, folder) in cases.items():
        cmd = _cmd(folder, "--resume", str(out))
        cmd[cmd.index(flag) + 1] = value
        refused = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2, (label, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot resume" in lines[0], (label, lines)
    with open_session(out) as r:
        assert r.n_records == 3 and r.status is RunStatus.COMPLETE
