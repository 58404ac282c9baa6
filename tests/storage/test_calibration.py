"""Calibration in every session: the snapshot (content + hash) at creation, calibrated vectors
beside the raw ones, both verified when read back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from lsi_rig.core.calibration import CalibrationSnapshot, calibration_sha256
from lsi_rig.core.errors import SessionError
from lsi_rig.storage import SessionWriter, open_session
from tests.storage.sample_data import make_calibration, make_metadata, make_record


def _calibrated_session(path: Path, n: int = 4) -> tuple[Path, list]:
    md = make_metadata(calibration=make_calibration())
    records = [make_record(i, md) for i in range(n)]
    with SessionWriter(path, md) as w:
        w.append_many(records[:2])
        for r in records[2:]:
            w.append(r)
    return path, records


class TestSnapshotHash:
    def test_hash_covers_content_not_provenance(self) -> None:
        a = make_calibration()
        b = CalibrationSnapshot.create(
            rig_name="other-rig",
            content_yaml=a.content_yaml,
            arrays=dict(reversed(list(a.arrays.items()))),
            source="elsewhere.yaml",
            created_utc="2020-01-01T00:00:00.000000Z",
        )
        assert a.sha256 == b.sha256 == a.content_sha256()
        assert len(a.sha256) == 64 and a.created_utc.endswith("Z")

    def test_every_change_of_content_changes_the_hash(self) -> None:
        base = make_calibration()
        gain = base.arrays["gain"]
        variants = [
            {"content_yaml": base.content_yaml + " "},
            {"arrays": {**base.arrays, "gain": gain + np.float64(1e-12)}},
            {"arrays": {**base.arrays, "gain": gain.astype(np.float32)}},
            {"arrays": {**base.arrays, "gain": gain.reshape(4, 4)}},
            {"arrays": {**base.arrays, "extra": np.zeros(1)}},
            {"arrays": {"gain": gain}},
        ]
        digests = {base.sha256}
        for change in variants:
            fields = {"content_yaml": base.content_yaml, "arrays": base.arrays, **change}
            digests.add(calibration_sha256(fields["content_yaml"], fields["arrays"]))
        assert len(digests) == len(variants) + 1

    def test_byte_order_does_not_matter(self) -> None:
        little = np.arange(5, dtype="<f8")
        assert calibration_sha256("x", {"a": little}) == calibration_sha256(
            "x", {"a": little.astype(">f8")}
        )


class TestWritten:
    def test_layout_with_plain_h5py(self, tmp_path: Path) -> None:
        path, _ = _calibrated_session(tmp_path / "cal.h5")
        cal = make_calibration()
        with h5py.File(path, "r") as f:
            g = f["calibration"]
            assert g.attrs["status"] == "snapshot" and g.attrs["format"] == "lsi-rig/calibration/v1"
            assert g.attrs["sha256"] == cal.sha256 and g.attrs["rig_name"] == "test-rig"
            assert g.attrs["source"] == "/lab/calibration/test-rig.yaml"
            assert g["content_yaml"].asstr()[()] == cal.content_yaml
            assert g["arrays/gain"][()].tobytes() == cal.arrays["gain"].tobytes()
            assert f["records/calibrated_v"].shape == (4, 16)
            assert f["records/calibrated_v"].dtype == np.float32

    def test_read_back(self, tmp_path: Path) -> None:
        path, records = _calibrated_session(tmp_path / "cal.h5")
        with open_session(path) as reader:
            snap = reader.calibration()
            assert snap is not None and snap.sha256 == make_calibration().sha256
            assert reader.has_calibrated and reader.summary()["calibrated_vectors"] is True
            assert reader.summary()["calibration"]["sha256"] == snap.sha256
            cal = reader.vectors("calibrated")
            assert cal.dtype == np.float32 and cal.shape == (4, 16)
            assert cal.tobytes() == np.stack([r.calibrated_v for r in records]).tobytes()
            assert reader.record(3).calibrated_v.tobytes() == records[3].calibrated_v.tobytes()

    def test_damaged_snapshot_is_refused(self, tmp_path: Path) -> None:
        path, _ = _calibrated_session(tmp_path / "cal.h5")
        with h5py.File(path, "r+") as f:
            f["calibration/arrays/gain"][3] += 1.0
        with pytest.raises(SessionError, match=r"cal\.h5: the calibration snapshot is damaged"):
            open_session(path)

    def test_legacy_mapping_still_reads(self, tmp_path: Path) -> None:
        """Files written before the snapshot layout held a free-form mapping."""
        md = make_metadata()
        path = tmp_path / "old.h5"
        with SessionWriter(path, md) as w:
            w.append(make_record(0, md))
        with h5py.File(path, "r+") as f:
            g = f["calibration"]
            g.attrs["status"] = "snapshot"
            g.create_dataset("offset_v", data=np.linspace(-1, 1, 7)).attrs["encoding"] = "array"
            text = g.create_dataset("note", data=json.dumps("ünïcode"), dtype=h5py.string_dtype())
            text.attrs["encoding"] = "json"
        with open_session(path) as reader:
            snap = reader.calibration()
            assert snap is not None and snap.source == "legacy mapping"
            assert np.array_equal(snap.arrays["offset_v"], np.linspace(-1, 1, 7))
            assert json.loads(snap.content_yaml) == {"note": "ünïcode"}
            assert not reader.has_calibrated


class TestRefused:
    def test_snapshot_with_a_wrong_hash(self, tmp_path: Path) -> None:
        bad = dataclasses.replace(make_calibration(), sha256="0" * 64)
        with pytest.raises(SessionError, match="its sha256 does not match its content"):
            SessionWriter(tmp_path / "s.h5", make_metadata(calibration=bad))
        assert list(tmp_path.iterdir()) == []

    def test_not_a_snapshot(self, tmp_path: Path) -> None:
        md = make_metadata()
        md.calibration = {"gain": 1.0}  # type: ignore[assignment]  # the old free-form form
        with pytest.raises(SessionError, match="expected a CalibrationSnapshot, got dict"):
            SessionWriter(tmp_path / "s.h5", md)
        assert list(tmp_path.iterdir()) == []

    def test_non_numeric_array(self, tmp_path: Path) -> None:
        snap = CalibrationSnapshot.create(
            rig_name="r", content_yaml="", arrays={"names": np.array(["a", "b"])}
        )
        with pytest.raises(SessionError, match="array 'names': must be a numeric numpy array"):
            SessionWriter(tmp_path / "s.h5", make_metadata(calibration=snap))

    def test_records_without_or_with_wrong_calibrated_v(self, tmp_path: Path) -> None:
        md = make_metadata(calibration=make_calibration())
        with SessionWriter(tmp_path / "s.h5", md) as w:
            bare = make_record(0, md)
            object.__setattr__(bare, "calibrated_v", None)
            with pytest.raises(
                SessionError, match="record of scene 0: the session stores a calibration"
            ):
                w.append(bare)
            with pytest.raises(SessionError, match="record 1 of 2: the session stores"):
                w.append_many([make_record(1, md), bare])
            short = make_record(2, md)
            object.__setattr__(short, "calibrated_v", np.zeros(15, np.float32))
            with pytest.raises(SessionError, match=r"calibrated_v: expected shape \(1, 16\)"):
                w.append(short)
            with pytest.raises(
                SessionError, match="append_arrays: the session stores a calibration"
            ):
                w.append_arrays(raw_v=np.zeros((2, 16)))
            w.append_arrays(raw_v=np.zeros((2, 16)), calibrated_v=np.ones((2, 16)))
            assert w.n_records == 2
        with open_session(tmp_path / "s.h5") as reader:
            assert reader.vectors("calibrated").tolist() == np.ones((2, 16)).tolist()

    def test_calibrated_v_on_a_session_without_calibration(self, tmp_path: Path) -> None:
        with (
            SessionWriter(tmp_path / "s.h5", make_metadata()) as w,
            pytest.raises(SessionError, match="calibrated_v given but the session has no"),
        ):
            w.append_arrays(raw_v=np.zeros((1, 16)), calibrated_v=np.zeros((1, 16)))
        with (
            open_session(tmp_path / "s.h5") as reader,
            pytest.raises(SessionError, match="has no calibrated vectors"),
        ):
            reader.vectors("calibrated")
