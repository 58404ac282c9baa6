"""Acceptance: a capture of ≥ 200 scenes killed with SIGKILL at ≥ 20 random moments.

Every file opens, every record completed before the kill is intact (bit-identical to the same
capture run to completion: the simulated world is seeded, so vectors are reproducible), and
the status reads interrupted.
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

from lsi_rig.storage import RunStatus, open_session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

N_SCENES = 200
N_KILLS = 20


def _capture_cmd(images: Path, out: Path) -> list[str]:
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
        "--out",
        str(out),
        "--size",
        "32",
        "--quiet",
    ]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenes")
    rng = np.random.default_rng(7)
    for i in range(N_SCENES):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            folder / f"scene_{i:03d}.png"
        )
    return folder


def test_sigkill_storm_leaves_every_completed_record(images: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.h5"
    t0 = time.monotonic()
    subprocess.run(_capture_cmd(images, reference), check=True, timeout=600)
    duration = time.monotonic() - t0
    with open_session(reference) as r:
        assert r.status is RunStatus.COMPLETE and r.n_records == N_SCENES
        expected = r.vectors("samples")
        expected_ids = r.scene_ids()

    rng = np.random.default_rng(2026)
    counts = []
    for k in range(N_KILLS):
        out = tmp_path / f"killed_{k:02d}.h5"
        proc = subprocess.Popen(_capture_cmd(images, out), stderr=subprocess.DEVNULL)
        # wait until the file exists, then kill at a random moment of the capture
        deadline = time.monotonic() + 120
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5 * duration))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        with open_session(out) as r:
            n = r.n_records
            counts.append(n)
            if n < N_SCENES:
                assert r.status is RunStatus.INTERRUPTED, (k, n, r.status)
            got = r.vectors("samples")
            assert got.shape == (n, expected.shape[1])
            assert got.tobytes() == expected[:n].tobytes(), f"kill {k}: record data differs"
            assert r.scene_ids() == expected_ids[:n]
            assert r.masks().sha256 == load_reference_hash(reference)
    interrupted = [n for n in counts if n < N_SCENES]
    assert len(interrupted) >= N_KILLS // 2, counts  # most kills landed mid-capture
    assert len(set(counts)) > 3, counts  # at genuinely different moments


def load_reference_hash(path: Path) -> str:
    with open_session(path) as r:
        return r.masks().sha256
