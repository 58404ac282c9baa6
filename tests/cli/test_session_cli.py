"""``inspect``, ``decode`` and ``recover`` on truncated, killed, locked and full sessions,
through the real CLI: one line, the right exit code, within seconds, nothing left behind."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import h5py
import pytest

from lsi_rig.storage import RunStatus, open_session
from tests.cli.helpers import err_lines, run_cli, write_images
from tests.storage.fs import small_tmpfs
from tests.storage.proc import WriterProcess, run_probe
from tests.storage.test_open_never_hangs import _closed_session, _cuts, _killed_session


def _assert_cli_refusals(results: list[dict[str, object]], needle: str) -> None:
    for r in results:
        assert r["seconds"] < 10, r
        stderr = r["stderr"]
        assert r["rc"] == 2 and isinstance(stderr, list) and len(stderr) == 1, r
        assert stderr[0].startswith("lsi-rig: error: ") and needle in stderr[0], r
        assert Path(str(r["file"])).name in stderr[0], r
        assert not r["out_dir_left"], r


class TestTruncatedSessionsThroughTheCli:
    def test_inspect_every_cut(self, tmp_path: Path) -> None:
        cuts = _cuts(_closed_session(tmp_path / "good.h5"), tmp_path / "cuts")
        killed = _cuts(_killed_session(tmp_path / "killed.h5"), tmp_path / "kcuts")
        assert len(cuts) >= 30
        files = cuts[4:] + killed[4:]  # from 16 bytes on: past the signature
        _assert_cli_refusals(run_probe("inspect", files, timeout_s=180), "truncated")

    def test_decode_refuses_before_loading_any_model(self, tmp_path: Path) -> None:
        cuts = _cuts(_closed_session(tmp_path / "good.h5"), tmp_path / "cuts")
        killed = _cuts(_killed_session(tmp_path / "killed.h5"), tmp_path / "kcuts")
        picks = [c for c in cuts if c.stem.endswith(("0000200", "0001000", "0024000"))]
        picks += [killed[len(killed) // 2], killed[-1], cuts[-1]]
        _assert_cli_refusals(run_probe("decode", picks, timeout_s=240), "truncated")


class TestRecoverCommand:
    def test_inspect_says_recover_then_recover_fixes_it(self, tmp_path: Path) -> None:
        path = tmp_path / "killed.h5"
        child = WriterProcess(path, 12, pace_ms=0.0)
        try:
            child.wait_for("done")
        finally:
            child.kill()
        done = run_cli("inspect", str(path))
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"note: writer died; run `lsi-rig recover {path}`"
        assert "status: interrupted" in done.stdout
        done = run_cli("recover", str(path))
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert done.stdout.strip() == (
            f"{path}: recovered, status interrupted (was running), 12 records kept"
        )
        assert "note:" not in run_cli("inspect", str(path)).stdout
        with h5py.File(path, "r") as f:
            assert f.attrs["status"] == "interrupted" and f["records/table"].shape == (12,)
        h5ls = shutil.which("h5ls")
        if h5ls is not None:
            listing = subprocess.run([h5ls, "-r", str(path)], capture_output=True, text=True)
            assert listing.returncode == 0 and "*ERROR*" not in listing.stdout, listing.stdout
        done = run_cli("recover", str(path))
        assert done.stdout.strip() == f"{path}: nothing to recover (interrupted, 12 records)"

    def test_recover_of_a_live_session_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "live.h5"
        child = WriterProcess(path, 3, pace_ms=0.0)
        try:
            child.wait_for("done")
            done = run_cli("recover", str(path))
            lines = err_lines(done)
            assert done.returncode == 2 and len(lines) == 1, lines
            assert f"in use by pid {child.proc.pid} on host" in lines[0]
            with open_session(path) as reader:
                assert reader.status is RunStatus.RUNNING
        finally:
            child.kill()


class TestCaptureOntoSessions:
    def test_overwrite_of_a_session_being_written_is_refused(self, tmp_path: Path) -> None:
        images = write_images(tmp_path / "img", 2)
        path = tmp_path / "live.h5"
        child = WriterProcess(path, 5, pace_ms=0.0)
        try:
            child.wait_for("done")
            before = path.stat().st_ino, path.stat().st_size
            done = run_cli("capture", "--rig", "sim-ideal", "--masks", "demo:hadamard16:16",
                           "--images", str(images), "--out", str(path), "--overwrite",
                           "--quiet")  # fmt: skip
            lines = err_lines(done)
            assert done.returncode == 2 and len(lines) == 1, lines
            assert lines[0].startswith(f"lsi-rig: error: session file {path} is in use by pid "
                                       f"{child.proc.pid} on host")  # fmt: skip
            assert (path.stat().st_ino, path.stat().st_size) == before
        finally:
            child.kill()

    def test_capture_onto_a_full_disk(self, tmp_path: Path) -> None:
        images = write_images(tmp_path / "img", 150)
        with small_tmpfs(tmp_path / "disk", 1024) as disk:
            if disk is None:
                pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); "
                            "tests/storage/test_disk_full.py covers RLIMIT_FSIZE")  # fmt: skip
            out = disk / "full.h5"
            done = run_cli("capture", "--rig", "sim-ideal", "--masks", "demo:hadamard32:512",
                           "--images", str(images), "--out", str(out), "--size", "32",
                           "--quiet", timeout_s=300)  # fmt: skip
            lines = err_lines(done)
            assert done.returncode == 2 and len(lines) == 1, done.stderr[-3000:]
            match = re.fullmatch(
                rf"lsi-rig: error: session file {re.escape(str(out))}: disk full at record "
                r"(\d+); (\d+) records kept",
                lines[0],
            )
            assert match and match.group(1) == match.group(2), lines
            k = int(match.group(1))
            with open_session(out) as reader:
                assert reader.status is RunStatus.FAILED and reader.n_records == k > 0
            assert sorted(p.name for p in disk.iterdir()) == ["full.h5"]
