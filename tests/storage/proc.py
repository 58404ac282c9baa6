"""Driving ``writer_script`` in a child process, with a timeout on every read."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class WriterProcess:
    """A child running ``tests.storage.writer_script``; ``next_line`` never blocks forever."""

    def __init__(self, path: Path, n_records: int, pace_ms: float, *, close: bool = False):
        args = [sys.executable, "-m", "tests.storage.writer_script", str(path), str(n_records)]
        args.append(str(pace_ms))
        if close:
            args.append("--close")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._fd, selectors.EVENT_READ)
        self._buffer = b""

    def next_line(self, timeout_s: float = 30.0) -> str | None:
        """The next stdout line, or None at end of output. Fails the test on timeout."""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"writer child: no output for {timeout_s} s")
            if not self._sel.select(timeout=left):
                continue
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def wait_for(self, text: str, timeout_s: float = 30.0) -> None:
        while True:
            line = self.next_line(timeout_s)
            if line is None:
                raise AssertionError(f"writer child ended before {text!r}: {self.stderr()}")
            if line == text:
                return

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    def kill(self) -> None:
        """SIGKILL and reap (a zombie would still look alive to a pid check)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._sel.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def wait(self, timeout_s: float = 30.0) -> int:
        rc = self.proc.wait(timeout=timeout_s)
        self.kill()
        return rc


def run_probe(mode: str, files: list[Path], timeout_s: float) -> list[dict[str, object]]:
    """Open ``files`` in a child (``tests.storage.open_probe``); a child still busy after
    ``timeout_s`` fails the test (a hang inside HDF5 cannot be interrupted in-process)."""
    import json

    args = [sys.executable, "-m", "tests.storage.open_probe", mode, *map(str, files)]
    env = dict(os.environ, PYTHONPATH=str(REPO), LSI_RIG_LOG_DIR=str(files[0].parent / "logs"))
    try:
        done = subprocess.run(
            args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        seen = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        raise AssertionError(
            f"opening hung: no answer within {timeout_s} s; answered so far:\n{seen[-2000:]}"
        ) from None
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["file"] for r in results] == [str(f) for f in files], done.stderr[-2000:]
    return results
