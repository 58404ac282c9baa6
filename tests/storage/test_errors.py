"""Errors a user can cause: each is a SessionError naming the file and what to do."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import SessionWriter, open_session
from tests.storage.sample_data import make_metadata, make_record


def _session(path, n=2):
    md = make_metadata()
    with SessionWriter(path, md) as w:
        for i in range(n):
            w.append(make_record(i, md))
    return path


def test_missing_folder(tmp_path):
    path = tmp_path / "nope" / "s.h5"
    with pytest.raises(SessionError, match=r"folder .*nope does not exist; create it"):
        SessionWriter(path, make_metadata())
    assert not (tmp_path / "nope").exists()


def test_unwritable_folder(tmp_path, monkeypatch):
    # os.access is the check (root bypasses real permission bits, so fake the answer)
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(SessionError, match="is not writable; fix its permissions"):
        SessionWriter(tmp_path / "s.h5", make_metadata())
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_kept_unless_overwrite(tmp_path):
    path = _session(tmp_path / "s.h5", n=2)
    before = path.read_bytes()
    with pytest.raises(SessionError, match=r"s\.h5 already exists; choose another name"):
        SessionWriter(path, make_metadata())
    assert path.read_bytes() == before
    md = make_metadata()
    with SessionWriter(path, md, overwrite=True) as w:
        w.append(make_record(5, md))
    with open_session(path) as r:
        assert r.n_records == 1 and r.record(0).t_start_ns == make_record(5, md).t_start_ns


def test_setup_error_leaves_no_file(tmp_path):
    md = make_metadata()
    md.devices["daq"] = {"handle": object()}  # not JSON-serialisable
    with pytest.raises(SessionError, match=r"device 'daq'.*cannot be stored as JSON"):
        SessionWriter(tmp_path / "s.h5", md)
    assert list(tmp_path.iterdir()) == []
    md = make_metadata(extra={"a/b": 1})
    with pytest.raises(SessionError, match="key 'a/b' cannot be an HDF5 name"):
        SessionWriter(tmp_path / "s.h5", md)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SessionError, match="does not exist; check the path"):
        open_session(tmp_path / "absent.h5")
    with pytest.raises(SessionError, match="is a folder"):
        open_session(tmp_path)


def test_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("hello")
    with pytest.raises(SessionError, match=r"notes\.h5 is not an HDF5 file"):
        open_session(path)


def test_hdf5_but_not_lsi_rig(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(SessionError, match=r"other\.h5 is an HDF5 file but not an lsi-rig session"):
        open_session(path)


def test_newer_schema(tmp_path):
    path = _session(tmp_path / "s.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = 99
    with pytest.raises(SessionError, match=r"schema version 99.*upgrade lsi-rig"):
        open_session(path)


def test_missing_dataset_is_corrupt(tmp_path):
    path = _session(tmp_path / "s.h5")
    with h5py.File(path, "r+") as f:
        del f["records/vector_v"]
    with pytest.raises(SessionError, match=r"corrupt or incomplete: missing /records/vector_v"):
        open_session(path)


def test_truncated_file_is_corrupt(tmp_path):
    path = _session(tmp_path / "s.h5", n=50)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(SessionError, match=r"s\.h5 is truncated \(\d+ of \d+ bytes\); copy it"):
        open_session(path)  # SWMR readers skip HDF5's own end-of-file check


def test_mask_hash_mismatch(tmp_path):
    path = _session(tmp_path / "s.h5")
    with h5py.File(path, "r+") as f:
        f["masks/bits_packed"][0, 0] ^= 1
    with pytest.raises(SessionError, match=r"s\.h5: the masks are damaged"):
        open_session(path)
