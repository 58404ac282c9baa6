"""The app's defaults in one place."""

from __future__ import annotations

#: Masks of ``lsi-rig gui`` when none are given: the demo LSI model's own 32 masks, so the app
#: decodes faces, attributes, a segmentation and landmarks on any laptop. (``demo:hadamard32:512``
#: gives the exact linear reconstruction instead; a DLPC350 sequence holds at most 1088
#: patterns, so the full 1024-mask Walsh set with references would not run on a real DMD.)
DEFAULT_MASKS = "demo:lsi"
#: Procedural demo scenes offered when no images are given (faces, then test targets).
DEMO_SCENE_COUNT = 12
#: QSettings names (``~/.config/lsi-rig/lsi-rig-gui.ini`` on Linux).
ORGANIZATION = "lsi-rig"
APPLICATION = "lsi-rig-gui"
#: Redraw timer (ScopeFoundry's update_display idea): 25 Hz reads the latest state.
REDRAW_HZ = 25.0
#: Rig status poll while no capture runs (the capture job polls during a capture).
STATUS_POLL_S = 2.0
#: Recent session files kept in the File menu.
RECENT_FILES = 8
