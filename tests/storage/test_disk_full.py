"""A full disk is an ordinary error: one line ("disk full at record k; k records kept"), status
``failed``, every committed record readable by plain h5py, no temporary file, no crash.

On real small file systems (a tmpfs mounted for the test; skipped, saying why, only where
mounting is impossible) and, everywhere, through ``RLIMIT_FSIZE`` in a child process (EFBIG:
the same code path).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from lsi_rig.storage import RunStatus, open_session
from tests.storage.fs import small_tmpfs
from tests.storage.proc import REPO
from tests.storage.sample_data import assert_record_equal, make_metadata, make_record

FULL = re.compile(r"session file (\S+): disk full at record (\d+); (\d+) records kept$")


def _fill(path: Path, mode: str, fsize: int | None = None) -> dict[str, object]:
    args = [sys.executable, "-m", "tests.storage.fill_script", str(path), mode]
    args += [str(fsize)] if fsize else []
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"child ended with {done.returncode}: {done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check_stopped_session(path: Path, result: dict[str, object]) -> int:
    match = FULL.search(str(result["error"]))
    assert match, result
    k = int(match.group(2))
    assert match.group(1) == str(path) and int(match.group(3)) == k == result["committed"]
    assert k > 0 and result["status"] == "failed"
    md = make_metadata(trace_shape=(2, 1000))
    with open_session(path) as reader:
        assert reader.status is RunStatus.FAILED and reader.n_records == k
        assert not reader.needs_recovery
        for i in range(k):
            assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
        assert "disk full at record" in reader.log_lines()[-1]
    with h5py.File(path, "r") as f:  # plain h5py: HDF5's open-for-writing mark is cleared
        assert int(f["run/n_records"][()]) == k and f["run/status"][()] == b"failed"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp, no lock
    return k


@pytest.fixture
def tiny_disk(tmp_path: Path):
    def mount(size_kib: int):
        return small_tmpfs(tmp_path / f"disk{size_kib}", size_kib)

    return mount


def _mounted(disk: Path | None) -> Path:
    if disk is None:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the RLIMIT_FSIZE "
                    "tests below exercise the same code path")  # fmt: skip
    return disk


class TestSmallFileSystem:
    def test_full_mid_capture(self, tiny_disk) -> None:
        with tiny_disk(1536) as disk:
            path = _mounted(disk) / "s.h5"
            _check_stopped_session(path, _fill(path, "records"))

    def test_disk_taken_by_another_program_mid_capture(self, tiny_disk) -> None:
        """The guard cannot see it coming: HDF5's write fails with ENOSPC. The writer frees
        its reserve so HDF5 can close the file; the child exits normally (it used to
        segfault)."""
        with tiny_disk(1536) as disk:
            path = _mounted(disk) / "s.h5"
            _check_stopped_session(path, _fill(path, "race"))

    def test_full_before_the_first_record(self, tiny_disk) -> None:
        with tiny_disk(128) as disk:  # not even the reserve fits
            path = _mounted(disk) / "s.h5"
            result = _fill(path, "records")
            assert re.fullmatch(
                rf"setup: session file {re.escape(str(path))}: disk full before the first "
                r"record \(cannot reserve \d+ KiB: No space left on device\); free some space "
                r"or choose another disk",
                str(result["error"]),
            ), result
            assert list(path.parent.iterdir()) == []

    def test_full_while_writing_the_static_part(self, tiny_disk) -> None:
        with tiny_disk(900) as disk:  # the reserve fits, a 1 MiB mask set does not
            path = _mounted(disk) / "s.h5"
            result = _fill(path, "setup")
            assert result["error"] == (
                f"setup: cannot create session file {path}: disk full before the first "
                "record; free some space or choose another disk"
            ), result
            assert list(path.parent.iterdir()) == []  # no .s.h5.partial-*, no lock file


class TestFileSizeLimit:
    """RLIMIT_FSIZE gives EFBIG at the limit: runs wherever the tests run."""

    def test_limit_seen_coming(self, tmp_path: Path) -> None:
        path = tmp_path / "s.h5"
        k = _check_stopped_session(path, _fill(path, "records", fsize=1_200_000))
        assert path.stat().st_size <= 1_200_000 and k > 10

    def test_limit_hit_by_hdf5(self, tmp_path: Path) -> None:
        """The guard off: HDF5 gets EFBIG; the reserve cannot help a size limit, but the file
        keeps every committed record and the process exits normally."""
        path = tmp_path / "s.h5"
        result = _fill(path, "race", fsize=1_200_000)
        assert FULL.search(str(result["error"])), result
        k = int(result["committed"])  # type: ignore[arg-type]
        md = make_metadata(trace_shape=(2, 1000))
        with open_session(path) as reader:
            assert reader.n_records == k > 0
            for i in range(k):
                assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
        assert not list(tmp_path.glob(".s.h5.partial-*"))
