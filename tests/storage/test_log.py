"""The in-file log and the SessionLogHandler (thread-safe, append-only)."""

from __future__ import annotations

import logging
import re
import threading

from lsi_rig.storage import SessionLogHandler, SessionWriter, open_session
from tests.storage.sample_data import make_metadata, make_record

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (\w+)\s+(.*)$")


def test_log_handler_from_many_threads(tmp_path):
    md = make_metadata()
    path = tmp_path / "log.h5"
    log = logging.getLogger("lsi_rig.test.storage")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    n_threads, per_thread = 4, 60
    with SessionWriter(path, md) as writer:
        handler = SessionLogHandler(writer, level=logging.INFO)
        log.addHandler(handler)
        try:

            def worker(t: int) -> None:
                for j in range(per_thread):
                    log.info("thread %d message %d µV", t, j)
                log.debug("below the handler level")

            threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
            for t in threads:
                t.start()
            for i in range(20):  # records interleave with log lines
                writer.append(make_record(i, md))
            for t in threads:
                t.join(timeout=30)
                assert not t.is_alive()
            log.warning("last words")
        finally:
            log.removeHandler(handler)
    log.addHandler(handler)  # a handler outliving its writer drops records quietly
    try:
        log.error("after close")
    finally:
        log.removeHandler(handler)

    with open_session(path) as r:
        assert r.n_records == 20
        lines = r.log_lines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    messages = [m.group(2) for m in parsed if m]
    expected = {
        f"lsi_rig.test.storage: thread {t} message {j} µV"
        for t in range(n_threads)
        for j in range(per_thread)
    }
    from_threads = [m for m in messages if "message" in m]
    assert sorted(from_threads) == sorted(expected)  # each exactly once, none torn
    assert "lsi_rig.test.storage: last words" in messages
    assert [m.group(1) for m in parsed if "last words" in m.group(2)] == ["WARNING"]
    assert not any("below the handler level" in m or "after close" in m for m in messages)
    assert messages[0].startswith("session ") and messages[-1].startswith("session closed")


def test_writer_log_grows_past_one_block(tmp_path):
    md = make_metadata()
    path = tmp_path / "big.h5"
    text = "x" * 1000
    with SessionWriter(path, md) as writer:
        for i in range(200):  # ~200 kB: several 64 KiB growth blocks
            writer.log("debug", f"{i} {text}")
    with open_session(path) as r:
        lines = r.log_lines()
    assert len(lines) == 202
    assert [line.split()[2] for line in lines[1:201]] == [str(i) for i in range(200)]
    assert lines[1].split()[1] == "DEBUG"
