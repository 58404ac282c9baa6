"""Child process for the full-disk tests: write a session until the disk (or RLIMIT_FSIZE)
is full, then report as JSON. Run as ``python -m tests.storage.fill_script PATH MODE
[FSIZE_BYTES]``; MODE ``records`` (the writer's own guard sees it coming), ``race`` (guard off:
HDF5 itself hits ENOSPC/EFBIG, as when another program takes the last blocks) or ``setup``
(a mask set too big for the disk: full while the static part is written).

Runs in a child because a process whose HDF5 write failed used to crash when exiting: the
parent checks the exit code.
"""

from __future__ import annotations

import json
import signal
import sys

import numpy as np


def main(argv: list[str]) -> int:
    path, mode = argv[0], argv[1]
    if len(argv) > 2:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        limit = int(argv[2])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    from lsi_rig.core.errors import SessionError
    from lsi_rig.masks.maskset import MaskSet
    from lsi_rig.storage import SessionWriter
    from lsi_rig.storage.diskspace import DiskGuard
    from tests.storage.sample_data import make_metadata, make_record

    if mode == "race":
        DiskGuard.room = lambda self, nbytes: True  # type: ignore[method-assign]
    md = make_metadata(trace_shape=(2, 1000))
    if mode == "setup":
        from lsi_rig.dmd.sequence import PatternSequence

        bits = np.random.default_rng(0).random((512, 128, 128)) < 0.5
        md.masks = MaskSet(bits, name="big", source="test:big")
        md.sequence = PatternSequence.build(md.masks, exposure_us=250.0, period_us=300.0)
    result: dict[str, object] = {"error": None, "committed": 0}
    try:
        writer = SessionWriter(path, md)
    except SessionError as exc:
        result["error"] = f"setup: {exc}"
    else:
        try:
            with writer:
                for i in range(100_000):
                    writer.append(make_record(i, md))
        except SessionError as exc:
            result["error"] = str(exc)
        result["committed"] = writer.n_committed
        result["status"] = writer.status.value
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
