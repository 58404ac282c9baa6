"""The app's defaults in one place (the lead switches the demo masks here)."""

from __future__ import annotations

#: Masks of ``lsi-rig gui`` when none are given: a demo set the app decodes on any laptop (the
#: exact linear reconstruction). The first 512 of the 1024 Walsh patterns: a DLPC350 sequence
#: holds at most 1088 patterns (512 masks with complements, plus references), so the full set
#: with interleaved references would not run on the real or the emulated DMD.
DEFAULT_MASKS = "demo:hadamard32:512"
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
