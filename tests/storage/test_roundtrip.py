"""Everything written comes back bit for bit, through the reader API and through plain h5py."""

from __future__ import annotations

from datetime import datetime

import h5py
import numpy as np
import pytest

import lsi_rig
from lsi_rig.core.errors import SessionError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.storage import SCHEMA_VERSION, RunStatus, SessionWriter, open_session
from tests.storage.sample_data import (
    RIG_YAML,
    assert_record_equal,
    make_calibration,
    make_metadata,
    make_record,
    n_refs,
)

CALIBRATION = make_calibration()
BITPLANE_MAP = np.arange(24, dtype=np.int16).reshape(8, 3)


def _full_metadata():
    return make_metadata(
        trace_shape=(2, 40),
        calibration=CALIBRATION,
        extra={"bitplane_map": BITPLANE_MAP, "operator": "ada", "window": np.ones(4)},
    )


def test_metadata_and_records_round_trip(tmp_path):
    md = _full_metadata()
    path = tmp_path / "full.h5"
    records = [make_record(i, md) for i in range(30)]
    with SessionWriter(path, md) as writer:
        uuid = writer.session_uuid
        for i, rec in enumerate(records[:10]):
            assert writer.append(rec) == i
        writer.append_many(records[10:30])
        assert writer.n_records == 30
    with open_session(path) as r:
        assert r.n_records == 30
        assert r.status is RunStatus.COMPLETE
        for i, rec in enumerate(records):
            assert_record_equal(r.record(i), rec, f"#{i}")
        assert_record_equal(r.record(-1), records[-1])
        with pytest.raises(IndexError):
            r.record(30)
        # per-kind vector matrices
        assert r.vectors("raw").tobytes() == np.stack([x.raw_v for x in records]).tobytes()
        assert r.vectors().tobytes() == np.stack([x.vector_v for x in records]).tobytes()
        assert r.vectors("samples").shape == (30, md.sequence.n_patterns)
        with pytest.raises(ValueError, match="offset_corrected"):
            r.vectors("bogus")
        table = r.records_table()
        assert table["flags"].tolist() == [int(x.flags) for x in records]
        assert table["t_end_ns"].tolist() == [x.t_end_ns for x in records]
        assert r.scene_ids() == [f"scene_{x.scene_index:03d}" for x in records]
        # static content
        masks = r.masks()
        assert np.array_equal(masks.bits, md.masks.bits)
        assert masks.sha256 == md.masks.sha256
        assert (masks.name, masks.source, masks.metadata) == (
            "random16",
            "test:random",
            {"seed": "1"},
        )
        seq = r.sequence_table()
        assert np.array_equal(seq["kinds"], md.sequence.kinds)
        assert np.array_equal(seq["mask_index"], md.sequence.mask_index)
        assert np.all(seq["exposure_us"] == 250.0) and np.all(seq["period_us"] == 300.0)
        assert r.sequence().n_patterns == md.sequence.n_patterns
        assert r.scenes() == md.scenes
        assert r.rig_config_yaml == RIG_YAML
        assert r.devices == md.devices | {"dmd": {**md.devices["dmd"], "firmware": [4, 1, 0]}}
        cal = r.calibration()
        assert cal is not None and cal.sha256 == CALIBRATION.sha256 == r.calibration_sha256
        assert cal.content_yaml == CALIBRATION.content_yaml and "ünïcode" in cal.content_yaml
        assert sorted(cal.arrays) == ["gain", "offset_v"]
        for name, array in CALIBRATION.arrays.items():
            assert cal.arrays[name].dtype == array.dtype
            assert cal.arrays[name].tobytes() == array.tobytes()
        assert (cal.rig_name, cal.source) == ("test-rig", "/lab/calibration/test-rig.yaml")
        assert cal.created_utc == CALIBRATION.created_utc
        assert r.has_calibrated
        assert (
            r.vectors("calibrated").tobytes()
            == np.stack([x.calibrated_v for x in records]).tobytes()
        )
        extra = r.extra
        assert np.array_equal(extra["bitplane_map"], BITPLANE_MAP)
        assert extra["bitplane_map"].dtype == np.int16
        assert extra["operator"] == "ada" and np.array_equal(extra["window"], np.ones(4))
        attrs = r.attrs
        assert attrs["schema_version"] == SCHEMA_VERSION
        assert attrs["software_version"] == lsi_rig.__version__
        assert attrs["session_uuid"] == uuid
        assert attrs["rig_name"] == "test-rig" and attrs["command"] == md.command
        created = datetime.fromisoformat(attrs["created_utc"])
        finished = datetime.fromisoformat(attrs["finished_utc"])
        assert created.utcoffset().total_seconds() == 0 and finished >= created
        summary = r.summary()
        assert summary["n_records"] == 30 and summary["status"] == "complete"
        assert summary["masks"]["sha256"] == md.masks.sha256
        assert summary["trace_shape"] == [2, 40]
        assert summary["flag_counts"]["SATURATED"] == sum(1 for x in records if x.flags & 1)


def test_plain_h5py_sees_trimmed_datasets_and_root_attributes(tmp_path):
    md = make_metadata()
    path = tmp_path / "plain.h5"
    with SessionWriter(path, md) as writer:
        for i in range(5):
            writer.append(make_record(i, md))
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "complete" and f.attrs["n_records"] == 5
        assert f["run/n_records"][()] == 5 and f["run/status"][()] == b"complete"
        assert f["records/vector_v"].shape == (5, 16) and f["records/table"].shape == (5,)
        assert f["records/samples_v"].shape == (5, md.sequence.n_patterns)
        assert "raw_v" not in f["records"] and "dark_v" not in f["records"]  # views of samples
        # raw_v = samples_v through the stored sequence table, as docs/session-format.md says
        kinds, index = f["sequence/kinds"][()], f["sequence/mask_index"][()]
        mask_pos = np.flatnonzero(kinds == 0)
        raw = np.empty(16, np.float32)
        raw[index[mask_pos]] = f["records/samples_v"][3][mask_pos]
        assert raw.tobytes() == make_record(3, md).raw_v.tobytes()
        assert np.count_nonzero(kinds == 2) == n_refs(md)
        assert f["masks"].attrs["sha256"] == md.masks.sha256
        assert f["calibration"].attrs["status"] == "none"
        assert b"session closed: complete" in f["log/bytes"][()].tobytes()


def test_no_references_and_no_calibration(tmp_path):
    md = make_metadata(reference_every=None)
    path = tmp_path / "norefs.h5"
    with SessionWriter(path, md) as writer:
        for i in range(3):
            writer.append(make_record(i, md))
    with open_session(path) as r:
        assert r.calibration() is None and r.calibration_sha256 is None
        assert not r.has_calibrated
        with pytest.raises(SessionError, match="has no calibrated vectors"):
            r.vectors("calibrated")
        rec = r.record(2)
        assert rec.dark_v.shape == (0,) and rec.bright_v.shape == (0,)
        assert_record_equal(rec, make_record(2, md))
        assert rec.trace_v is None


def test_append_arrays_bulk_defaults_and_growth(tmp_path):
    md = make_metadata()
    path = tmp_path / "bulk.h5"
    m = 2500  # crosses two 1024-row growth blocks
    raw = np.random.default_rng(5).standard_normal((m, 16)).astype(np.float32)
    with SessionWriter(path, md) as writer:
        writer.append_arrays(raw_v=raw, scene_index=np.arange(m) % 3, flags=4)
        writer.append_arrays(raw_v=raw[:2], vector_v=raw[:2] * 2)
        assert writer.n_records == m + 2
    with open_session(path) as r:
        assert r.n_records == m + 2
        assert r.vectors("raw")[:m].tobytes() == raw.tobytes()
        assert r.vectors()[:m].tobytes() == raw.tobytes()  # vector_v defaults to raw_v
        assert r.vectors()[m:].tobytes() == (raw[:2] * 2).tobytes()
        samples = r.vectors("samples")
        mask_samples = np.isin(np.arange(samples.shape[1]), md.sequence.positions(0))
        assert np.isnan(samples[:, ~mask_samples]).all()  # references were not given
        assert not np.isnan(samples[:, mask_samples]).any()  # raw_v sits at the mask patterns
        table = r.records_table()
        assert table["exposure_us"][0] == 250.0 and table["n_averaged"][0] == 1
        assert np.isnan(table["gain_db"]).all()
        assert r.record(1).flags == RecordFlags.MISSING_EDGES
        assert r.scene_ids()[:4] == ["scene_000", "scene_001", "scene_002", "scene_000"]
        assert r.scene_ids()[m:] == ["", ""]  # scene_index -1: no scene


def test_append_arrays_rejects_bad_columns(tmp_path):
    md = make_metadata()
    with SessionWriter(tmp_path / "bad.h5", md) as writer:
        with pytest.raises(SessionError, match="unknown column"):
            writer.append_arrays(raw_v=np.zeros((2, 16)), colour=1)
        with pytest.raises(SessionError, match=r"raw_v: expected shape \(2, 16\)"):
            writer.append_arrays(raw_v=np.zeros((2, 15)))
        with pytest.raises(SessionError, match="scene_index=3"):
            writer.append_arrays(raw_v=np.zeros((2, 16)), scene_index=3)
        with pytest.raises(SessionError, match="raw_v or vector_v"):
            writer.append_arrays(samples_v=np.zeros((2, 26)))
        with pytest.raises(SessionError, match="n_averaged must be a scalar or have 2"):
            writer.append_arrays(raw_v=np.zeros((2, 16)), n_averaged=[1, 2, 3])
        bad = make_record(0, md)
        object.__setattr__(bad, "dark_v", np.zeros(2, np.float32))
        with pytest.raises(SessionError, match="dark_v: expected 5 values"):
            writer.append(bad)
        with pytest.raises(SessionError, match=r"dark_v: expected 5 values.*shape \(2,\)"):
            writer.append_many([make_record(1, md), bad])
        assert writer.n_records == 0
    with open_session(tmp_path / "bad.h5") as r:
        assert r.n_records == 0


def test_flush_every_commits_in_batches(tmp_path):
    md = make_metadata()
    path = tmp_path / "batch.h5"
    writer = SessionWriter(path, md, flush_every=5)
    with open_session(path) as r:
        for i in range(7):
            writer.append(make_record(i, md))
            assert r.refresh() == (5 if i >= 4 else 0)
        writer.flush()
        assert r.refresh() == 7
    writer.close()
    with open_session(path) as r:
        assert r.n_records == 7
        assert_record_equal(r.record(6), make_record(6, md))
