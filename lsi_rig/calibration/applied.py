"""The applied form of a calibration: what a capture does with it.

:class:`RigCalibration` implements :class:`lsi_rig.core.calibration.AppliedCalibration`:
``scene_image`` draws a scene through the monitor linearisation, the registration and the flat
field (:mod:`lsi_rig.calibration.render`); ``calibrate`` maps an offset-corrected vector onto
the official simulation's scale with the per-mask response, ``(v − offset) / gain``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from lsi_rig.calibration.affine import Affine
from lsi_rig.calibration.errors import CalibrationError
from lsi_rig.calibration.model import CalibrationContent, StepResults
from lsi_rig.calibration.render import SceneRenderer, linear_lut
from lsi_rig.calibration.store import StoredCalibration, dump_content
from lsi_rig.core.calibration import CalibrationSnapshot


def renderer_for(steps: StepResults, arrays: dict[str, np.ndarray]) -> SceneRenderer:
    """The scene drawing the steps measured so far imply (identity for missing steps)."""
    lut = arrays.get("monitor_lut") if steps.monitor is not None else None
    registration = steps.registration
    if registration is None:
        return SceneRenderer(Affine.identity(), lut if lut is not None else linear_lut())
    return SceneRenderer(
        Affine.from_list(registration.affine),
        lut if lut is not None else linear_lut(),
        flat_field=arrays.get("registration_flat_field"),
        flat_ref=registration.flat_ref,
    )


class RigCalibration:
    """A loaded calibration with a response step (see module docstring)."""

    def __init__(
        self,
        content: CalibrationContent,
        arrays: dict[str, np.ndarray],
        *,
        yaml_text: str | None = None,
        source: str = "",
    ) -> None:
        if content.steps.response is None or "response_gain" not in arrays:
            raise CalibrationError(
                f"calibration {source or content.created_utc} has no response step, so it cannot "
                "put vectors on the simulation's scale (run lsi-rig calibrate response)"
            )
        gain = np.asarray(arrays["response_gain"], dtype=np.float64)
        offset = np.asarray(arrays["response_offset"], dtype=np.float64)
        if gain.shape != (content.provenance.masks.n,) or offset.shape != gain.shape:
            raise CalibrationError(
                f"calibration {source}: response arrays do not match its "
                f"{content.provenance.masks.n} masks"
            )
        self.content = content
        self.arrays = arrays
        self.source = source
        self._yaml = yaml_text if yaml_text is not None else dump_content(content)
        self._gain = gain
        self._offset = offset

    @classmethod
    def from_stored(cls, stored: StoredCalibration) -> RigCalibration:
        return cls(
            stored.content, stored.arrays, yaml_text=stored.yaml_text, source=str(stored.folder)
        )

    @property
    def folder(self) -> Path | None:
        return Path(self.source) if self.source else None

    @cached_property
    def snapshot(self) -> CalibrationSnapshot:
        """What a session stores: the calibration file's text and arrays, hashed as stored
        (the file's own ``content_sha256`` is part of that text)."""
        return CalibrationSnapshot.create(
            rig_name=self.content.provenance.rig_name,
            created_utc=self.content.created_utc,
            content_yaml=self._yaml,
            arrays={k: np.asarray(v) for k, v in self.arrays.items()},
            source=self.source,
        )

    @cached_property
    def renderer(self) -> SceneRenderer:
        return renderer_for(self.content.steps, self.arrays)

    def scene_image(self, image: np.ndarray) -> np.ndarray:
        return self.renderer.render(image)

    def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
        v = np.asarray(vector_v, dtype=np.float64)
        if v.shape[-1:] != self._gain.shape:
            raise ValueError(
                f"vector of {v.shape[-1]} values for a calibration of {self._gain.size} masks"
            )
        return (v - self._offset) / self._gain
