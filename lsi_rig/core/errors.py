"""Exception hierarchy.

Every error a user can cause (bad config, bad masks, missing images, unwritable output, a device
that does not answer) is an :class:`LsiRigError` whose message names the file, field or device
and says what to do. The CLI prints exactly that message on one line and exits non-zero.
"""

from __future__ import annotations


class LsiRigError(Exception):
    """Base class for errors that are reported to the user as one clear line."""


class ConfigError(LsiRigError):
    """A rig configuration file is missing, malformed or invalid."""


class MaskError(LsiRigError):
    """A mask set cannot be loaded or fails validation."""


class SceneError(LsiRigError):
    """A scene image is missing, unreadable or unusable."""


class SessionError(LsiRigError):
    """A session file cannot be created, written or read."""


class DeviceError(LsiRigError):
    """A device (real, emulated or simulated) failed or refused a request."""


class DeviceNotFoundError(DeviceError):
    """The device is not connected or not accessible."""


class DeviceTimeoutError(DeviceError):
    """The device did not answer in time."""


class ModelError(LsiRigError):
    """A checkpoint, generator pickle or model cache is invalid or unsafe."""


class UnsafePickleError(ModelError):
    """A pickle asked for a global outside the allow-list; nothing was executed."""


class CaptureStopped(LsiRigError):
    """A capture was stopped cooperatively by the operator (not a failure)."""
