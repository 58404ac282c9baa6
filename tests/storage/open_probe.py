"""Child process for the no-hang tests: open each file given, report how it went as JSON.

``python -m tests.storage.open_probe MODE FILE...`` with MODE ``api`` (``open_session`` and a
full read), ``inspect`` or ``decode`` (``lsi_rig.cli.app.main``, stderr captured). One JSON line
per file: ``{"file", "seconds", "outcome", "error", "rc", "stderr"}``. The parent runs this
under a timeout that fails the test: HDF5 code cannot be interrupted from Python, so a hang
is only caught from outside the process.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path


def _api(path: str) -> dict[str, object]:
    from lsi_rig.core.errors import SessionError
    from lsi_rig.storage import open_session

    try:
        with open_session(path) as reader:
            reader.vectors("raw")
            reader.records_table()
            reader.summary()
            n = reader.n_records
    except SessionError as exc:
        return {"outcome": "refused", "error": str(exc)}
    except Exception as exc:  # the test fails on these: every refusal must be a SessionError
        return {"outcome": "crashed", "error": f"{type(exc).__name__}: {exc}"}
    return {"outcome": "opened", "error": f"{n} records"}


def _cli(mode: str, path: str) -> dict[str, object]:
    from lsi_rig.cli.app import main

    out_dir = Path(tempfile.mkdtemp()) / "decoded"
    args = ["inspect", path]
    if mode == "decode":
        args = ["decode", path, "--checkpoint", "none.pt", "--generator", "none.pkl"]
        args += ["--out", str(out_dir)]
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(args)
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    return {"outcome": "cli", "rc": rc, "stderr": lines, "out_dir_left": out_dir.exists()}


def main(argv: list[str]) -> int:
    mode, files = argv[0], argv[1:]
    for path in files:
        start = time.monotonic()
        result = _api(path) if mode == "api" else _cli(mode, path)
        result |= {"file": path, "seconds": time.monotonic() - start}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
