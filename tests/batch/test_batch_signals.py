"""The installed CLI steered by signals: SIGUSR1 pauses, SIGUSR2 resumes, Ctrl-C (SIGINT)
stops after the current pass with every committed record kept and the status interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lsi_rig.storage import RunStatus, open_session

from .helpers import make_images

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals"),
]


def _wait_for(predicate, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _records(path: Path) -> int:
    try:
        with open_session(path) as reader:
            return reader.n_records
    except Exception:
        return -1


def test_pause_resume_and_ctrl_c(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", [f"{i:03d}" for i in range(4)], size=16)
    out = tmp_path / "sig.h5"
    log = tmp_path / "stderr.txt"
    args = [sys.executable, "-m", "lsi_rig.cli.app", "batch", "--rig", "sim-ideal",
            "--masks", "demo:hadamard16:8", "--images", str(tmp_path / "imgs"),
            "--repeats", "5000", "--size", "16", "--out", str(out), "--quiet",
            "--no-report"]  # fmt: skip
    with log.open("wb") as stderr:
        proc = subprocess.Popen(args, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _records(out) > 20, "the first records")
        os.kill(proc.pid, signal.SIGUSR1)
        _wait_for(lambda: "paused: paused by the operator" in log.read_text(), "paused")
        time.sleep(0.5)
        parked = _records(out)
        time.sleep(1.0)
        assert _records(out) == parked  # nothing measured while paused
        os.kill(proc.pid, signal.SIGUSR2)
        _wait_for(lambda: _records(out) > parked + 20, "records after resuming")
        assert "resumed" in log.read_text()
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "stopping after the current pass" in text
    assert f"continue with: lsi-rig batch ... --resume {out}" in text
    assert "Traceback" not in text
    with open_session(out) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        assert parked + 20 < reader.n_records < 20_000
