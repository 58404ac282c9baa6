"""One writer per session: a second writer, an overwrite, a resume or a recovery of a session
being written is refused (naming the writer), and closing never touches a file it no longer
owns. Real processes: the lock is an OS lock, dropped by the kernel when its holder dies."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from lsi_rig.storage import (
    RunStatus,
    SessionLockedError,
    SessionWriter,
    check_not_locked,
    open_session,
    recover_session,
)
from lsi_rig.storage.lock import lock_holder, lock_path
from tests.storage.proc import WriterProcess
from tests.storage.sample_data import assert_record_equal, make_metadata, make_record


@pytest.fixture
def live_writer(tmp_path: Path):
    """A child process holding a session open for writing (5 records committed)."""
    path = tmp_path / "live.h5"
    child = WriterProcess(path, 5, pace_ms=0.0)
    try:
        child.wait_for("done")
        yield path, child
    finally:
        child.kill()


class TestSecondWriterIsRefused:
    def test_overwrite_of_a_session_being_written(self, live_writer) -> None:
        path, child = live_writer
        before = path.stat().st_mtime_ns, path.stat().st_ino
        with pytest.raises(SessionLockedError) as info:
            SessionWriter(path, make_metadata(), overwrite=True)
        text = str(info.value)
        assert f"pid {child.proc.pid}" in text and socket.gethostname() in text
        assert str(path) in text and "\n" not in text
        assert (path.stat().st_mtime_ns, path.stat().st_ino) == before
        with open_session(path) as reader:  # the running capture lost nothing
            assert reader.status is RunStatus.RUNNING and reader.n_records == 5
        assert not list(path.parent.glob(".live.h5.partial-*"))

    def test_resume_recover_and_early_check_are_refused(self, live_writer) -> None:
        path, child = live_writer
        for attempt in (
            lambda: SessionWriter.reopen(path),
            lambda: recover_session(path),
            lambda: check_not_locked(path),
        ):
            with pytest.raises(SessionLockedError, match=rf"in use by pid {child.proc.pid} "):
                attempt()
        holder = lock_holder(path)
        assert isinstance(holder, dict) and holder["pid"] == child.proc.pid
        assert holder["purpose"] == "capture"

    def test_second_writer_in_the_same_process(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "s.h5"
        with SessionWriter(path, md) as first:
            first.append(make_record(0, md))
            with pytest.raises(SessionLockedError, match=rf"pid {os.getpid()} "):
                SessionWriter(path, md, overwrite=True)
            first.append(make_record(1, md))
        with open_session(path) as reader:
            assert reader.n_records == 2 and reader.status is RunStatus.COMPLETE

    def test_a_dead_writers_lock_does_not_block(self, live_writer) -> None:
        path, child = live_writer
        child.kill()
        assert lock_path(path).exists()  # stale sidecar: the kernel dropped the lock itself
        assert lock_holder(path) is False
        check_not_locked(path)
        md = make_metadata()
        with SessionWriter(path, md, overwrite=True) as writer:
            writer.append(make_record(9, md))
        assert not lock_path(path).exists()  # released and removed on close
        with open_session(path) as reader:
            assert reader.n_records == 1

    def test_live_writer_on_another_host_is_refused(self, tmp_path: Path) -> None:
        """No lock is visible across hosts sharing a folder: the heartbeat decides."""
        md = make_metadata()
        path = tmp_path / "shared.h5"
        with SessionWriter(path, md) as w:
            w.append(make_record(0, md))
        with h5py.File(path, "r+") as f:
            f["run/status"][()] = b"running"
            f["run"].attrs["writer_host"] = "bench-pc-2"
            f["run"].attrs["writer_pid"] = 4242
            f["run/heartbeat_ns"][()] = np.int64(time.time_ns())
        with pytest.raises(SessionLockedError, match="pid 4242 on host bench-pc-2"):
            SessionWriter(path, md, overwrite=True)
        with h5py.File(path, "r+") as f:  # heartbeat stale: that writer is gone
            f["run/heartbeat_ns"][()] = np.int64(time.time_ns() - 3600 * 10**9)
        with SessionWriter(path, md, overwrite=True) as w:
            w.append(make_record(1, md))


class TestCloseTouchesOnlyItsOwnFile:
    def test_replaced_file_is_left_alone(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "s.h5"
        other = tmp_path / "other.h5"
        with SessionWriter(other, md) as w:
            for i in range(3):
                w.append(make_record(100 + i, md))
        writer = SessionWriter(path, md)
        for i in range(4):
            writer.append(make_record(i, md))
        os.replace(other, path)  # someone put another session at that name
        replacement = path.read_bytes()
        for i in range(4, 8):  # the writer keeps writing its own (now unlinked) file
            writer.append(make_record(i, md))
        writer.close()
        assert path.read_bytes() == replacement
        with open_session(path) as reader:
            assert reader.n_records == 3
            assert_record_equal(reader.record(0), make_record(100, md))

    def test_deleted_file_closes_without_error(self, tmp_path: Path) -> None:
        md = make_metadata()
        path = tmp_path / "gone.h5"
        writer = SessionWriter(path, md)
        writer.append(make_record(0, md))
        path.unlink()
        writer.append(make_record(1, md))
        writer.close()
        assert not path.exists() and not lock_path(path).exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == []
