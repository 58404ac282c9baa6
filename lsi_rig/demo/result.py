"""What a demo run produced: the session, the pictures, and the lines to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lsi_rig.jobs.capture import CaptureResult


@dataclass
class DemoResult:
    """``kind``: "lsi" (decoded by the demo LSI model) or "hadamard" (exact linear
    reconstruction). ``summary``: measured figures, one line each."""

    capture: CaptureResult
    kind: str
    images: list[Path] = field(default_factory=list)
    psnr_db: list[float] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
