"""Scenes shown on the monitor: loaded images and procedural demo scenes."""

from lsi_rig.scenes.loading import (
    iter_scene_paths,
    load_scene_file,
    load_scenes,
    validate_scene_paths,
)
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.scene import Scene, SceneInfo, image_sha256

__all__ = [
    "Scene",
    "SceneInfo",
    "demo_scenes",
    "image_sha256",
    "iter_scene_paths",
    "load_scene_file",
    "load_scenes",
    "validate_scene_paths",
]
