"""Run status: context-manager transitions and the liveness rules for "running" files."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from lsi_rig.core.errors import CaptureStopped, SessionError
from lsi_rig.storage import RunStatus, SessionWriter, open_session
from lsi_rig.storage.liveness import WriterIdentity, current_identity, writer_alive
from tests.storage.sample_data import make_metadata, make_record

LINUX = sys.platform.startswith("linux")


def _status_of(path):
    with open_session(path) as r:
        return r.status, r.n_records, r.log_lines()


def test_clean_exit_is_complete(tmp_path):
    md = make_metadata()
    with SessionWriter(tmp_path / "ok.h5", md) as w:
        w.append(make_record(0, md))
    status, n, _ = _status_of(tmp_path / "ok.h5")
    assert (status, n) == (RunStatus.COMPLETE, 1)


@pytest.mark.parametrize(
    ("exc", "expected", "level"),
    [
        (KeyboardInterrupt(), RunStatus.INTERRUPTED, "WARNING"),
        (CaptureStopped("operator pressed stop"), RunStatus.INTERRUPTED, "WARNING"),
        (RuntimeError("DAQ exploded"), RunStatus.FAILED, "ERROR"),
    ],
)
def test_exception_sets_status_and_is_logged(tmp_path, exc, expected, level):
    md = make_metadata()
    path = tmp_path / "x.h5"
    with pytest.raises(type(exc)), SessionWriter(path, md) as w:
        w.append(make_record(0, md))
        raise exc
    status, n, lines = _status_of(path)
    assert (status, n) == (expected, 1)
    assert any(level in line and type(exc).__name__ in line for line in lines)
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == expected.value


def test_explicit_close_is_idempotent_and_final(tmp_path):
    md = make_metadata()
    w = SessionWriter(tmp_path / "c.h5", md)
    w.close(RunStatus.FAILED)
    w.close(RunStatus.COMPLETE)  # ignored: already closed
    assert w.closed and w.status is RunStatus.FAILED
    with pytest.raises(SessionError, match="already closed"):
        w.append(make_record(0, md))
    with pytest.raises(SessionError, match="already closed"):
        w.log("INFO", "late")
    assert _status_of(tmp_path / "c.h5")[0] is RunStatus.FAILED
    with pytest.raises(ValueError, match="final status"):
        SessionWriter(tmp_path / "d.h5", md).close(RunStatus.RUNNING)


def test_open_writer_in_this_process_reads_running(tmp_path):
    md = make_metadata()
    w = SessionWriter(tmp_path / "live.h5", md)
    try:
        w.append(make_record(0, md))
        status, n, _ = _status_of(tmp_path / "live.h5")
        assert (status, n) == (RunStatus.RUNNING, 1)
    finally:
        w.close()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


def _stat(pid: int) -> str:
    """/proc/<pid>/stat after the command name: state first, start time 20th."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rfind(")") + 2 :]


def test_liveness_same_host():
    me = current_identity()
    now = time.time_ns()
    assert writer_alive(me, now)
    dead = WriterIdentity(me.host, _dead_pid(), me.boot_id, me.start_ticks)
    assert not writer_alive(dead, now)
    rebooted = WriterIdentity(me.host, me.pid, "another-boot", me.start_ticks)
    assert not writer_alive(rebooted, now)


@pytest.mark.skipif(not LINUX, reason="process start times are read from /proc (Linux)")
def test_liveness_pid_reuse_and_zombie():
    me = current_identity()
    now = time.time_ns()
    assert me.start_ticks >= 0
    reused = WriterIdentity(me.host, me.pid, me.boot_id, me.start_ticks + 1)
    assert not writer_alive(reused, now)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        ident = None
        for _ in range(100):  # wait until the child's /proc entry is readable
            start_ticks = int(_stat(child.pid).split()[19])
            ident = WriterIdentity(me.host, child.pid, me.boot_id, start_ticks)
            if writer_alive(ident, now):
                break
            time.sleep(0.01)
        assert ident is not None and writer_alive(ident, now)
        child.kill()
        for _ in range(200):  # killed but not reaped: a zombie still has a pid
            if _stat(child.pid)[0] == "Z":
                break
            time.sleep(0.01)
        assert not writer_alive(ident, now)
    finally:
        child.kill()
        child.wait(timeout=30)


def test_liveness_other_host_uses_heartbeat():
    other = WriterIdentity(socket.gethostname() + "-elsewhere", 1, "", -1)
    now = time.time_ns()
    assert writer_alive(other, now - 2_000_000_000, now_ns=now, stale_after_s=15)
    assert not writer_alive(other, now - 60_000_000_000, now_ns=now, stale_after_s=15)


def test_file_of_dead_writer_reads_interrupted(tmp_path):
    """A "running" file whose writer pid is gone: rewrite the stored identity to a dead pid."""
    md = make_metadata()
    path = tmp_path / "dead.h5"
    w = SessionWriter(path, md)
    w.append(make_record(0, md))
    w.close()
    with h5py.File(path, "r+") as f:  # turn it back into a "running" file of a dead writer
        f["run/status"][()] = b"running"
        f["run"].attrs["writer_pid"] = _dead_pid()
    status, n, _ = _status_of(path)
    assert (status, n) == (RunStatus.INTERRUPTED, 1)
    with h5py.File(path, "r+") as f:  # alive pid (ours) with the right start time: running
        f["run"].attrs["writer_pid"] = current_identity().pid
    assert _status_of(path)[0] is RunStatus.RUNNING
