"""Recover a session whose writer was killed, then reopen it and finish it.

After recovery any HDF5 tool opens the file (h5ls, plain h5py); nothing committed is lost;
a reopened session continues after its last committed record, with no duplicate (scene,
repeat) and a log line marking each resume.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import RunStatus, SessionWriter, open_session, recover_session
from lsi_rig.storage.lock import lock_path
from tests.storage.proc import WriterProcess
from tests.storage.sample_data import (
    assert_record_equal,
    make_calibration,
    make_metadata,
    make_record,
)

H5LS = shutil.which("h5ls")


def _killed(path: Path, n: int) -> Path:
    child = WriterProcess(path, n, pace_ms=0.0)
    try:
        child.wait_for("done")
    finally:
        child.kill()
    return path


def _plain_h5py_opens(path: Path, n: int) -> None:
    with h5py.File(path, "r") as f:  # no swmr=True: the open-for-writing mark is gone
        assert int(f["run/n_records"][()]) == n == int(f.attrs["n_records"])
        assert f["records/table"].shape == (n,) and f["records/samples_v"].shape[0] == n
        assert f["log/bytes"].shape == (int(f["log/n_bytes"][()]),)


class TestRecover:
    def test_killed_writer_is_recovered(self, tmp_path: Path) -> None:
        path = _killed(tmp_path / "k.h5", 37)
        with pytest.raises(OSError):
            h5py.File(path, "r")  # before: plain h5py refuses it
        with open_session(path) as reader:
            assert reader.needs_recovery and reader.status is RunStatus.INTERRUPTED
            assert (
                reader.summary()["needs_recovery"] == f"writer died; run `lsi-rig recover {path}`"
            )
        report = recover_session(path)
        assert (report.status_before, report.status, report.n_records) == (
            "running",
            "interrupted",
            37,
        )
        assert report.changed and report.rows_trimmed == 1024 - 37
        assert (
            report.line() == f"{path}: recovered, status interrupted (was running), 37 records kept"
        )
        _plain_h5py_opens(path, 37)
        md = make_metadata()
        with open_session(path) as reader:
            assert not reader.needs_recovery and reader.status is RunStatus.INTERRUPTED
            for i in range(37):
                assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
            lines = reader.log_lines()
        assert "session recovered: writer pid" in lines[-1] and "stopped at record 37" in lines[-1]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["k.h5"]  # no copy, backup, lock

    @pytest.mark.skipif(H5LS is None, reason="h5ls not installed (Debian: apt install hdf5-tools)")
    def test_h5ls_opens_it(self, tmp_path: Path) -> None:
        path = _killed(tmp_path / "k.h5", 5)
        assert subprocess.run([H5LS, "-r", str(path)], capture_output=True).returncode != 0
        recover_session(path)
        done = subprocess.run([H5LS, "-r", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "/records/table" in done.stdout and "Dataset {5/Inf}" in done.stdout

    def test_finished_session_is_left_alone(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "ok.h5"
        with SessionWriter(path, md) as w:
            w.append(make_record(0, md))
        before = path.read_bytes()
        report = recover_session(path)
        assert not report.changed and report.status == "complete" and report.n_records == 1
        assert path.read_bytes() == before
        assert report.line() == f"{path}: nothing to recover (complete, 1 records)"

    def test_recovering_twice_changes_nothing_the_second_time(self, tmp_path: Path) -> None:
        path = _killed(tmp_path / "k.h5", 3)
        assert recover_session(path).changed
        before = path.read_bytes()
        assert not recover_session(path).changed and path.read_bytes() == before

    def test_zero_records(self, tmp_path: Path) -> None:
        path = _killed(tmp_path / "k0.h5", 0)
        report = recover_session(path)
        assert report.n_records == 0 and report.status == "interrupted"
        _plain_h5py_opens(path, 0)

    def test_not_enough_space_for_the_copy_is_refused(self, tmp_path: Path, monkeypatch) -> None:
        import lsi_rig.storage.recover as recover_module

        path = _killed(tmp_path / "k.h5", 4)
        before = path.read_bytes()
        monkeypatch.setattr(recover_module, "free_bytes", lambda folder: 1000)
        with pytest.raises(SessionError, match=r"the copy needs 1 MiB free in .*, 0 MiB are"):
            recover_session(path)
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["k.h5"]  # stale lock removed too

    def test_unwritable_folder_is_refused(self, tmp_path: Path, monkeypatch) -> None:
        import os

        path = _killed(tmp_path / "k.h5", 2)
        before = path.read_bytes()
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == tmp_path else real(p, m))
        with pytest.raises(SessionError, match=r"cannot recover .*k\.h5: copy .* not writable"):
            recover_session(path)
        assert path.read_bytes() == before

    def test_damaged_file_is_not_recovered(self, tmp_path: Path) -> None:
        path = _killed(tmp_path / "k.h5", 4)
        data = bytearray(path.read_bytes())
        data[len(data) // 2 :] = b""  # truncated copy of a killed file
        path.write_bytes(bytes(data))
        with pytest.raises(SessionError, match="is truncated"):
            recover_session(path)


class TestReopen:
    def test_kill_recover_reopen_finish(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = _killed(tmp_path / "k.h5", 25)
        writer = SessionWriter.reopen(path, note="capture --resume")
        try:
            assert writer.n_records == writer.n_committed == 25
            keys = writer.committed_keys()
            assert keys == {(i % 3, i // 3) for i in range(25)}
            for i in range(25, 60):
                writer.append(make_record(i, md))
            with open_session(path) as live:  # readers follow the resumed session
                assert live.status is RunStatus.RUNNING and live.n_records == 60
        finally:
            writer.close()
        with open_session(path) as reader:
            assert reader.status is RunStatus.COMPLETE and reader.n_records == 60
            table = reader.records_table()
            pairs = list(
                zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True)
            )
            assert len(set(pairs)) == 60  # no duplicate (scene, repeat)
            for i in range(60):
                assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
            lines = reader.log_lines()
        recovered = [i for i, line in enumerate(lines) if "session recovered" in line]
        resumed = [i for i, line in enumerate(lines) if "session resumed by pid" in line]
        assert len(recovered) == len(resumed) == 1 and recovered[0] < resumed[0]
        assert "appending after record 25); capture --resume" in lines[resumed[0]]
        assert lines[-1].endswith("session closed: complete, 60 records")
        _plain_h5py_opens(path, 60)

    def test_kill_twice_resume_twice(self, tmp_path: Path) -> None:
        """Killed, resumed, killed again mid-resume, resumed again: still no gap, no dup."""
        md = make_metadata()
        path = _killed(tmp_path / "k.h5", 10)
        code = (
            "import sys, time\n"
            "from lsi_rig.storage import SessionWriter\n"
            "from tests.storage.sample_data import make_metadata, make_record\n"
            "md = make_metadata()\n"
            "w = SessionWriter.reopen(sys.argv[1])\n"
            "for i in range(w.n_records, 20): w.append(make_record(i, md))\n"
            "print('done', flush=True); time.sleep(60)\n"
        )
        import os
        import sys

        from tests.storage.proc import REPO

        child = subprocess.Popen(
            [sys.executable, "-c", code, str(path)], cwd=REPO, stdout=subprocess.PIPE,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )  # fmt: skip
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == b"done"
        finally:
            child.kill()
            child.wait(timeout=30)
            if child.stdout is not None:
                child.stdout.close()
        with SessionWriter.reopen(path) as writer:
            assert writer.n_records == 20
            for i in range(20, 30):
                writer.append(make_record(i, md))
        with open_session(path) as reader:
            assert reader.n_records == 30 and reader.status is RunStatus.COMPLETE
            for i in range(30):
                assert_record_equal(reader.record(i), make_record(i, md), f"#{i}")
            assert sum("session resumed" in line for line in reader.log_lines()) == 2

    def test_interrupted_and_failed_sessions_reopen(self, tmp_path: Path) -> None:
        md = make_metadata()
        for status in (RunStatus.INTERRUPTED, RunStatus.FAILED):
            path = tmp_path / f"{status.value}.h5"
            w = SessionWriter(path, md)
            w.append(make_record(0, md))
            w.close(status)
            with SessionWriter.reopen(path) as w2:
                assert w2.committed_keys() == {(0, 0)}
                w2.append(make_record(1, md))
            with open_session(path) as reader:
                assert reader.n_records == 2 and reader.status is RunStatus.COMPLETE
                with h5py.File(path, "r") as f:
                    assert f.attrs["status"] == "complete" and f.attrs["n_records"] == 2

    def test_complete_session_is_refused(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "done.h5"
        with SessionWriter(path, md) as w:
            w.append(make_record(0, md))
        with pytest.raises(
            SessionError,
            match=r"cannot resume session file .*done\.h5: it is complete \(1 records\)",
        ):
            SessionWriter.reopen(path)
        assert not lock_path(path).exists()

    def test_reader_holding_the_file_is_a_clear_refusal(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "held.h5"
        w = SessionWriter(path, md)
        w.append(make_record(0, md))
        w.close(RunStatus.INTERRUPTED)
        code = (
            "import sys, time, h5py\n"
            "f = h5py.File(sys.argv[1], 'r'); print('open', flush=True); time.sleep(60)\n"
        )
        import sys

        holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"open"
            with pytest.raises(SessionError, match="another program has it open"):
                SessionWriter.reopen(path)
        finally:
            holder.kill()
            holder.wait(timeout=30)
            if holder.stdout is not None:
                holder.stdout.close()
        with open_session(path) as reader:  # untouched: still interrupted, resumable
            assert reader.status is RunStatus.INTERRUPTED and reader.n_records == 1
        with SessionWriter.reopen(path) as w2:
            w2.append(make_record(1, md))

    def test_calibrated_session_keeps_its_calibration(self, tmp_path: Path) -> None:
        md = make_metadata(calibration=make_calibration())
        path = tmp_path / "cal.h5"
        w = SessionWriter(path, md)
        for i in range(3):
            w.append(make_record(i, md))
        w.close(RunStatus.INTERRUPTED)
        with SessionWriter.reopen(path) as w2:
            bare = make_record(3, md)
            object.__setattr__(bare, "calibrated_v", None)
            with pytest.raises(SessionError, match="needs calibrated_v"):
                w2.append(bare)
            w2.append(make_record(3, md))
        with open_session(path) as reader:
            assert reader.calibration_sha256 == md.calibration.sha256  # type: ignore[union-attr]
            expected = np.stack([make_record(i, md).calibrated_v for i in range(4)])
            assert reader.vectors("calibrated").tobytes() == expected.tobytes()

    def test_reopen_refreshes_writer_identity(self, tmp_path: Path) -> None:
        import os

        path = _killed(tmp_path / "k.h5", 2)
        with SessionWriter.reopen(path) as writer:
            time.sleep(0.01)
            with open_session(path) as reader:
                assert reader.writer_identity.pid == os.getpid()
                assert reader.status is RunStatus.RUNNING
            writer.append(make_record(2, make_metadata()))
