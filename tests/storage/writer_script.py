"""A capture stand-in for the crash tests: writes deterministic records at a steady pace.

Run as ``python -m tests.storage.writer_script PATH N_RECORDS PACE_MS [--close]`` from the repo
root. Prints ``ready`` once the file exists, then each record's index *after* ``append``
returned (i.e. after it was committed), then ``done``. Without ``--close`` it leaves the writer
open at the end and sleeps, so the parent can kill it at any moment.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path


def _light_engine_import() -> None:
    """Make ``lsi_rig.core.records`` importable without running the engine package's
    ``__init__`` (it imports the whole rig stack: seconds per child on a loaded machine).
    The crash test only needs the record dataclass."""
    if "lsi_rig.engine" in sys.modules:
        return
    import lsi_rig

    stub = types.ModuleType("lsi_rig.engine")
    stub.__path__ = [str(Path(lsi_rig.__file__).parent / "engine")]
    sys.modules["lsi_rig.engine"] = stub


_light_engine_import()

from lsi_rig.storage import SessionWriter  # noqa: E402
from tests.storage.sample_data import make_metadata, make_record  # noqa: E402


def main(argv: list[str]) -> int:
    path, n_records, pace_ms = argv[0], int(argv[1]), float(argv[2])
    close = "--close" in argv[3:]
    metadata = make_metadata()
    records = [make_record(i, metadata) for i in range(n_records)]
    writer = SessionWriter(path, metadata)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for i, record in enumerate(records):
        if pace_ms:
            time.sleep(pace_ms / 1000.0)
        index = writer.append(record)
        if i % 50 == 0:
            writer.log("INFO", f"record {index}")
        out.write(f"{index}\n")
        out.flush()
    if close:
        writer.close()
        out.write("done\n")
        out.flush()
        return 0
    out.write("done\n")
    out.flush()
    time.sleep(60)  # the parent kills us
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
