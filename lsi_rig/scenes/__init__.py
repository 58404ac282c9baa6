"""Scenes shown on the monitor: loaded images and procedural demo scenes."""

from lsi_rig.scenes.scene import Scene, SceneInfo, image_sha256

__all__ = ["Scene", "SceneInfo", "image_sha256"]
