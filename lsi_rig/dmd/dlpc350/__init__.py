"""DLP LightCrafter 4500 (DLPC350 + DLP4500) backend: USB HID control, HDMI video-port patterns.

Submodules import pyusb/Qt lazily or only when the backend is chosen (see docs/dlpc350.md).
"""
