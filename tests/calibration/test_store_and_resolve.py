"""Calibration folders, content hash, the current pointer, and refusals that name what differs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.calibration import (
    CalibrationError,
    CalibrationRefused,
    RigCalibration,
    read_calibration,
    resolve_calibration,
)
from lsi_rig.calibration.store import CURRENT_FILE, current_folder, list_calibrations
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.masks import load_masks
from lsi_rig.masks.maskset import MaskSet

from .conftest import synthetic_calibration


def _resolve(config: RigConfig, spec: str | None, masks: MaskSet, root: Path, **kw: float):
    detector = config.devices.detector
    return resolve_calibration(
        config,
        spec,
        masks=masks,
        gain_db=kw.get("gain_db", detector.gain_db),
        range_v=kw.get("range_v", detector.range_v),
        root=root,
    )


def test_folder_layout_and_round_trip(sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    rig_dir = tmp_path / "sim"
    assert re.fullmatch(r"\d{8}T\d{6}Z", stored.folder.name)
    assert sorted(p.name for p in stored.folder.iterdir()) == [
        "arrays.npz",
        "calibration.yaml",
        "response.png",
    ]
    assert (rig_dir / CURRENT_FILE).read_text() == stored.folder.name + "\n"
    assert current_folder(rig_dir) == stored.folder
    assert not [p for p in rig_dir.iterdir() if p.name.startswith(".")]
    loaded = read_calibration(stored.folder)
    assert loaded.content == stored.content
    assert loaded.content.content_sha256 == stored.content.content_sha256 != ""
    assert loaded.content.provenance.masks.sha256 == masks16.sha256
    assert loaded.content.provenance.rig_name == "sim"
    assert set(loaded.content.provenance.software) >= {"lsi_rig", "numpy", "python"}
    np.testing.assert_array_equal(loaded.arrays["response_gain"], stored.arrays["response_gain"])
    # a second calibration in the same second gets its own folder
    again = synthetic_calibration(sim_rig, masks16, tmp_path)
    assert again.folder != stored.folder and list_calibrations(rig_dir) == sorted(
        [stored.folder, again.folder]
    )


def test_resolve_current_none_and_path(
    sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path
) -> None:
    assert _resolve(sim_rig, None, masks16, tmp_path) is None  # no calibration yet
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    current = _resolve(sim_rig, None, masks16, tmp_path)
    assert isinstance(current, RigCalibration) and isinstance(current, AppliedCalibration)
    assert current.snapshot.sha256 == current.snapshot.content_sha256()  # storable as is
    assert f"content_sha256: {stored.content.content_sha256}" in current.snapshot.content_yaml
    assert current.snapshot.source == str(stored.folder)
    assert "content_sha256" in current.snapshot.content_yaml
    assert _resolve(sim_rig, "none", masks16, tmp_path) is None
    assert _resolve(sim_rig, "NONE", masks16, tmp_path) is None
    by_path = _resolve(sim_rig, str(stored.folder / "calibration.yaml"), masks16, tmp_path)
    assert isinstance(by_path, RigCalibration)
    np.testing.assert_allclose(by_path.calibrate(np.full(masks16.n, 2e-5)), 2.0)
    shown = by_path.scene_image(np.full((64, 64, 3), 128, dtype=np.uint8))
    assert shown.dtype == np.uint8 and shown.shape == (1024, 1024, 3)
    assert abs(float(shown.mean()) - 128.0) < 1.0


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_wrong_rig_is_refused(sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    other = sim_rig.model_copy(update={"name": "bench-2"})
    with pytest.raises(CalibrationRefused) as exc:
        _resolve(other, str(stored.folder), masks16, tmp_path)
    assert "made for rig 'sim', not 'bench-2'" in _one_line(exc)


def test_changed_rig_file_is_refused(sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    world = sim_rig.world
    assert world is not None
    moved = sim_rig.model_copy(
        update={
            "world": world.model_copy(
                update={"optics": world.optics.model_copy(update={"scale": 1.01})}
            )
        }
    )
    with pytest.raises(CalibrationRefused) as exc:
        _resolve(moved, None, masks16, tmp_path)
    assert "rig 'sim' changed" in _one_line(exc) and "world" in str(exc.value)
    assert str(stored.folder) in str(exc.value)
    # settings that do not change the measurement do not matter
    quieter = sim_rig.model_copy(update={"description": "renamed"})
    assert _resolve(quieter, None, masks16, tmp_path) is not None


def test_wrong_mask_set_is_refused(sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path) -> None:
    synthetic_calibration(sim_rig, masks16, tmp_path)
    other = load_masks("demo:hadamard16:48")
    with pytest.raises(CalibrationRefused) as exc:
        _resolve(sim_rig, None, other, tmp_path)
    line = _one_line(exc)
    assert "mask set 'hadamard16:32'" in line and "not 'hadamard16:48'" in line
    assert masks16.sha256[:12] in line and other.sha256[:12] in line


@pytest.mark.parametrize(
    ("change", "needle"),
    [({"gain_db": 50}, "gain 40 dB, not 50 dB"), ({"range_v": 5.0}, "range ±10 V, not ±5 V")],
)
def test_wrong_gain_or_range_is_refused(
    sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path, change: dict[str, float], needle: str
) -> None:
    synthetic_calibration(sim_rig, masks16, tmp_path)
    with pytest.raises(CalibrationRefused) as exc:
        _resolve(sim_rig, None, masks16, tmp_path, **change)
    assert needle in _one_line(exc)


@pytest.mark.parametrize("status", ["failed", "partial"])
def test_incomplete_or_rejected_calibrations_are_refused(
    sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path, status: str
) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path, status=status, make_current=False)
    assert current_folder(tmp_path / "sim") is None
    with pytest.raises(CalibrationRefused) as exc:
        _resolve(sim_rig, str(stored.folder), masks16, tmp_path)
    assert f"is {status}" in _one_line(exc)


def test_edited_or_damaged_files_are_refused(
    sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path
) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    yaml_path = stored.folder / "calibration.yaml"
    original = yaml_path.read_text()
    yaml_path.write_text(original.replace("gain_mean_v: 1.0e-05", "gain_mean_v: 2.0e-05"))
    with pytest.raises(CalibrationError, match="content hash does not match"):
        read_calibration(stored.folder)
    yaml_path.write_text(original)
    arrays = dict(np.load(stored.folder / "arrays.npz"))
    arrays["response_gain"] = arrays["response_gain"] * 1.01
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (stored.folder / "arrays.npz").write_bytes(buffer.getvalue())
    with pytest.raises(CalibrationError, match="content hash does not match"):
        _resolve(sim_rig, None, masks16, tmp_path)
    (stored.folder / "arrays.npz").write_bytes(b"not a zip")
    with pytest.raises(CalibrationError, match=r"arrays\.npz: unreadable"):
        read_calibration(stored.folder)
    (stored.folder / "arrays.npz").unlink()
    np.savez(stored.folder / "arrays.npz", evil=np.array([object()], dtype=object))
    with pytest.raises(CalibrationError, match="unreadable"):
        read_calibration(stored.folder)  # pickled arrays are never loaded


def test_bad_yaml_and_pointers_give_one_line(
    sim_rig: RigConfig, masks16: MaskSet, tmp_path: Path
) -> None:
    stored = synthetic_calibration(sim_rig, masks16, tmp_path)
    yaml_path = stored.folder / "calibration.yaml"
    yaml_path.write_text(yaml_path.read_text() + "surprise: 1\n")
    with pytest.raises(CalibrationError) as exc:
        read_calibration(stored.folder)
    assert "surprise: unknown key" in _one_line(exc) and str(yaml_path) in str(exc.value)
    yaml_path.write_text("!!python/object:os.system [echo]\n")
    with pytest.raises(CalibrationError, match="unreadable"):
        read_calibration(stored.folder)
    (tmp_path / "sim" / CURRENT_FILE).write_text("../../etc\n")
    with pytest.raises(CalibrationError) as exc:
        _resolve(sim_rig, None, masks16, tmp_path)
    assert "not a calibration folder" in _one_line(exc)
    with pytest.raises(CalibrationError, match="no such folder"):
        _resolve(sim_rig, str(tmp_path / "nowhere"), masks16, tmp_path)
    with pytest.raises(CalibrationError, match="not a calibration folder"):
        read_calibration(tmp_path)


def test_a_plug_in_detector_is_refused_with_one_line() -> None:
    from lsi_rig.calibration.provenance import detector_config
    from lsi_rig.config import load_rig
    from lsi_rig.config.plugin_devices import PluginDetectorConfig
    from lsi_rig.core.errors import ConfigError

    sim = load_rig("sim")
    assert detector_config(sim) is sim.devices.detector
    # as a rig with an installed detector plug-in would load (the registry is not consulted here)
    plugin = PluginDetectorConfig.model_construct(backend="acme-pd", options={})
    rig = sim.model_copy(update={"devices": sim.devices.model_copy(update={"detector": plugin})})
    with pytest.raises(ConfigError, match="'acme-pd' is a plug-in; calibration needs") as info:
        detector_config(rig)
    assert "\n" not in str(info.value)
