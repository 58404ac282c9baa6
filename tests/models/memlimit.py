"""Run crafted-input cases in a child process with a hard address-space limit.

An allocation bomb that slips through must fail the test (MemoryError in the child, or the
child killed), never swap the shared CI machine. Each case is a Python expression evaluated in
the child; the child reports, per case, the exception type and message (or "ok") as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

LIMIT_BYTES = 2 << 30  # 2 GiB of address space: plenty for numpy/torch, far below any bomb

_CHILD = """
import json, resource, sys, traceback
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
{setup}
cases = json.loads(sys.stdin.read())
out = {{}}
for name, expr in cases.items():
    try:
        value = eval(expr)
        out[name] = {{"type": "ok", "message": repr(value)[:500]}}
    except BaseException as exc:  # MemoryError too: the test then fails on the type
        out[name] = {{"type": type(exc).__name__, "message": str(exc)}}
print("RESULTS " + json.dumps(out))
"""


def run_cases(
    cases: dict[str, str],
    *,
    setup: str = "",
    limit_bytes: int = LIMIT_BYTES,
    timeout_s: float = 300.0,
) -> dict[str, dict[str, str]]:
    """Evaluate each expression in ``cases`` in one memory-limited child; results by name.

    ``setup`` runs first (imports, helper definitions). A child that dies (killed by the
    kernel, or an uncaught error in ``setup``) fails with its stderr.
    """
    code = _CHILD.format(setup=textwrap.dedent(setup))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(limit_bytes)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        cwd=root,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS ")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(
            f"memory-limited child failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    results: dict[str, dict[str, str]] = json.loads(lines[-1][len("RESULTS ") :])
    return results
