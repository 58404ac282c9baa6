"""Test-wide settings: Qt offscreen, deterministic threads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
