"""The batch scene source: checked and hashed up front under the manifest's ids; loaded ahead
in a worker thread during the capture, with errors where the scene is asked for."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.batch.manifest import ManifestEntry
from lsi_rig.batch.scenes import PrefetchingScenes, manifest_scene_source
from lsi_rig.core.errors import SceneError
from lsi_rig.scenes.loading import load_scene_file
from lsi_rig.scenes.scene import Scene, SceneInfo

from .helpers import make_images


def _entries(paths: Sequence[Path]) -> list[ManifestEntry]:
    return [ManifestEntry(f"id{i}", p, "test", i) for i, p in enumerate(paths)]


def test_scene_table_uses_manifest_ids_and_pixel_hashes(tmp_path: Path) -> None:
    paths = make_images(tmp_path, ["x", "y", "z"], size=40)
    checked: list[tuple[int, int]] = []
    source = manifest_scene_source(
        _entries(paths)[::-1], size=16, on_checked=lambda d, t: checked.append((d, t))
    )
    assert [i.scene_id for i in source.infos] == ["id2", "id1", "id0"]
    expected = load_scene_file(paths[2], size=16)
    assert source.infos[0].sha256 == expected.sha256
    assert (source.infos[0].height, source.infos[0].width) == (16, 16)
    assert source.infos[0].path == str(paths[2].resolve())
    scene = source.load(0)
    assert scene.scene_id == "id2" and np.array_equal(scene.image, expected.image)
    assert checked == [(1, 3), (2, 3), (3, 3)]


def test_a_corrupt_image_names_the_scene_and_manifest_row(tmp_path: Path) -> None:
    paths = make_images(tmp_path, ["a", "b"])
    paths[1].write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(SceneError, match=r"scene 'id1' \(manifest row 2\)"):
        manifest_scene_source(_entries(paths))
    with pytest.raises(SceneError, match="not found"):
        manifest_scene_source(_entries([tmp_path / "gone.png"]))
    with pytest.raises(SceneError, match="no scenes"):
        manifest_scene_source([])


def test_an_image_changed_during_the_batch_is_refused(tmp_path: Path) -> None:
    paths = make_images(tmp_path, ["a", "b"])
    source = manifest_scene_source(_entries(paths))
    make_images(tmp_path, ["b"], seed=99)
    with pytest.raises(SceneError, match="changed since the capture started"):
        source.load(1)


class CountingSource:
    def __init__(self, n: int) -> None:
        self._infos = [SceneInfo(f"s{i}", "", "", 2, 2) for i in range(n)]
        self.loaded: list[int] = []
        self.threads: list[str] = []
        self.fail_at: int | None = None
        self.gate = threading.Event()
        self.gate.set()

    @property
    def infos(self) -> list[SceneInfo]:
        return self._infos

    def load(self, index: int) -> Scene:
        self.gate.wait(10)
        self.loaded.append(index)
        self.threads.append(threading.current_thread().name)
        if index == self.fail_at:
            raise SceneError(f"scene {index} broke")
        return Scene(f"s{index}", np.full((2, 2, 3), index, dtype=np.uint8))


def test_prefetching_loads_ahead_in_worker_threads() -> None:
    inner = CountingSource(5)
    scenes = PrefetchingScenes(inner, ahead=2, workers=2)
    try:
        for i in range(5):
            scene = scenes.load(i)
            assert scene.scene_id == f"s{i}" and int(scene.image[0, 0, 0]) == i
        assert sorted(inner.loaded) == [0, 1, 2, 3, 4]  # each scene decoded once
        assert all(t.startswith("lsi-rig scene prefetch") for t in inner.threads)
    finally:
        scenes.close()


def test_prefetching_starts_at_the_first_scene_to_measure() -> None:
    inner = CountingSource(6)
    inner.gate.clear()
    scenes = PrefetchingScenes(inner, ahead=2, first=3)  # a resume: scenes 0-2 are done
    inner.gate.set()
    try:
        assert scenes.load(3).scene_id == "s3"
    finally:
        scenes.close()  # waits for the loads under way
    assert {3, 4} <= set(inner.loaded) and not {0, 1, 2} & set(inner.loaded)


def test_prefetch_errors_surface_where_the_scene_is_asked_for() -> None:
    inner = CountingSource(3)
    inner.fail_at = 1
    scenes = PrefetchingScenes(inner)
    try:
        scenes.load(0)  # starts loading scene 1, which fails in the worker
        with pytest.raises(SceneError, match="scene 1 broke"):
            scenes.load(1)
        assert scenes.load(2).scene_id == "s2"  # a skipped index is loaded directly
    finally:
        scenes.close()


def test_close_ends_the_worker_and_stops_prefetching() -> None:
    inner = CountingSource(3)
    scenes = PrefetchingScenes(inner)
    scenes.load(0)
    scenes.close()
    before = list(inner.loaded)
    assert scenes.load(1).scene_id == "s1"  # still usable, synchronously, without a worker
    assert inner.loaded == [*before, 1]  # loaded here; nothing scheduled after close
    names = [t.name for t in threading.enumerate()]
    assert not any(n.startswith("lsi-rig scene prefetch") for n in names)
