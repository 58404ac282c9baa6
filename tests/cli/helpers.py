"""Running the real ``lsi-rig`` (installed console script, real typer/click) in a child."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).parent / "lsi-rig"


def lsi_rig_command() -> list[str]:
    """The installed entry point when present (what users run), else ``-m lsi_rig.cli.app``."""
    return [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lsi_rig.cli.app"]


def run_cli(
    *args: str, timeout_s: float = 120, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="100", **(env or {}))
    return subprocess.run(
        [*lsi_rig_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=full_env,
        cwd=cwd or REPO,
    )


def err_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


def write_images(folder: Path, n: int, size: int = 32) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    for i in range(n):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"scene_{i:03d}.png")
    return folder
