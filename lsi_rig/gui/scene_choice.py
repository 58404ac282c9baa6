"""What the operator chose to show on the monitor: demo faces, image files/folders, a manifest.

The scene source itself comes from the scenes package (files are checked and hashed before a
capture starts, so a bad file is refused up front). Manifests are batch manifests
(``id,path,split`` CSV) read by :mod:`lsi_rig.batch.manifest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lsi_rig.gui.defaults import DEMO_SCENE_COUNT
from lsi_rig.scenes.source import InMemoryScenes, SceneSource


class SceneKind(StrEnum):
    DEMO = "demo"
    FILES = "files"
    MANIFEST = "manifest"


@dataclass(frozen=True)
class SceneChoice:
    kind: SceneKind = SceneKind.DEMO
    paths: tuple[Path, ...] = ()
    demo_count: int = DEMO_SCENE_COUNT

    def describe(self) -> str:
        if self.kind is SceneKind.DEMO:
            return f"{self.demo_count} procedural demo scenes (faces, then test targets)"
        if self.kind is SceneKind.MANIFEST:
            return f"manifest {self.paths[0]}"
        if len(self.paths) == 1:
            return str(self.paths[0])
        return f"{len(self.paths)} image files/folders"

    def source(self, size: int = 256) -> SceneSource:
        """The scenes to capture (raises :class:`SceneError` naming the bad file)."""
        if self.kind is SceneKind.DEMO:
            from lsi_rig.scenes.procedural import demo_scenes

            return InMemoryScenes(demo_scenes(self.demo_count, size=size))
        from lsi_rig.scenes.source import file_scene_source

        paths = manifest_paths(self.paths[0]) if self.kind is SceneKind.MANIFEST else self.paths
        return file_scene_source(list(paths), size=size)


def manifest_paths(manifest: Path) -> list[Path]:
    """Image paths of a batch manifest (``id,path,split`` CSV, ``docs/batch.md``), read and
    checked by the batch package's reader so the app and ``lsi-rig batch`` agree on the format."""
    from lsi_rig.batch.manifest import read_manifest_csv

    return [entry.path for entry in read_manifest_csv(manifest).entries]
