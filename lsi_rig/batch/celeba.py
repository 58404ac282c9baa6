"""CelebA attribute labels (``list_attr_celeba.txt``) attached to scenes by file stem.

The file's format: line 1 the number of images, line 2 the attribute names (40 in CelebA, from
``5_o_Clock_Shadow`` to ``Young``), then one line per image: ``<file name> v1 … vN`` with
``v`` = 1 (present) or -1 (absent). The official LSI evaluation matches labels to measurements
by file stem, so that is how they are attached here; 0 marks a scene the file has no line for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from lsi_rig.core.errors import SceneError

log = logging.getLogger(__name__)

MAX_LINES = 5_000_000


@dataclass(frozen=True, eq=False)
class AttributeTable:
    """Labels of a file: ``values[i]`` (int8, ±1) belong to ``stems[i]``."""

    names: tuple[str, ...]
    stems: tuple[str, ...]
    values: np.ndarray  # int8 [len(stems), len(names)]
    source: str

    def for_scenes(self, scene_ids: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """``[S, N]`` int8 labels of the scenes (0 where the file has none) and the ids that
        have none."""
        index = {stem: i for i, stem in enumerate(self.stems)}
        out = np.zeros((len(scene_ids), len(self.names)), dtype=np.int8)
        missing = []
        for k, scene_id in enumerate(scene_ids):
            i = index.get(scene_id)
            if i is None:
                missing.append(scene_id)
            else:
                out[k] = self.values[i]
        return out, missing


def read_celeba_attributes(path: str | Path) -> AttributeTable:
    """Parse a ``list_attr_celeba.txt``-format file (errors name the file and line)."""
    path = Path(path).expanduser()
    label = f"labels {path}"
    try:
        with path.open(encoding="utf-8-sig") as handle:
            lines = _read_lines(handle, label)
    except FileNotFoundError:
        raise SceneError(f"{label}: not found; check the path") from None
    except IsADirectoryError:
        raise SceneError(f"{label}: is a folder; give list_attr_celeba.txt itself") from None
    except UnicodeDecodeError as exc:
        raise SceneError(f"{label}: not text ({exc.reason})") from None
    except OSError as exc:
        raise SceneError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if len(lines) < 2:
        raise SceneError(f"{label}: expected a count line and an attribute-name line first")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise SceneError(
            f"{label} line 1: {lines[0].strip()[:40]!r} is not the number of images "
            "(list_attr_celeba.txt format: count, names, then one line per image)"
        ) from None
    names = tuple(lines[1].split())
    if not names:
        raise SceneError(f"{label} line 2: no attribute names")
    body = [(n + 3, line) for n, line in enumerate(lines[2:]) if line.strip()]
    if len(body) != count:
        raise SceneError(
            f"{label}: line 1 announces {count} images but {len(body)} follow "
            "(truncated or edited file?)"
        )
    values = np.empty((len(body), len(names)), dtype=np.int8)
    stems: list[str] = []
    seen: dict[str, int] = {}
    for k, (line_no, line) in enumerate(body):
        fields = line.split()
        if len(fields) != len(names) + 1:
            raise SceneError(
                f"{label} line {line_no}: {len(fields) - 1} values, expected {len(names)} "
                "(one per attribute name on line 2)"
            )
        try:
            row = [int(v) for v in fields[1:]]
        except ValueError:
            raise SceneError(f"{label} line {line_no}: values must be 1 or -1") from None
        if any(v not in (1, -1) for v in row):
            raise SceneError(f"{label} line {line_no}: values must be 1 or -1")
        stem = Path(fields[0]).stem
        if stem in seen:
            raise SceneError(f"{label} line {line_no}: {fields[0]} repeats line {seen[stem]}")
        seen[stem] = line_no
        stems.append(stem)
        values[k] = row
    return AttributeTable(names, tuple(stems), values, str(path))


def _read_lines(handle: TextIO, label: str) -> list[str]:
    lines: list[str] = []
    for line in handle:
        lines.append(line)
        if len(lines) > MAX_LINES:
            raise SceneError(f"{label}: more than {MAX_LINES} lines; is this the right file?")
    return lines
