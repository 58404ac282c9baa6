"""Pickle-free generator cache: round trip, provenance, integrity, no pickle on load."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
import torch

from lsi_rig.core.errors import ModelError
from lsi_rig.models import pickle_safe
from lsi_rig.models.generator import convert_generator, load_generator
from lsi_rig.models.generator.cache import META_FILE, TENSORS_FILE
from tests.models.pkl_writer import MODULE_SRC, write_generator_pickle


@pytest.fixture
def gen_tiny_cache(tmp_path: Path) -> tuple[Path, Path, dict]:
    pkl = tmp_path / "ffhq-tiny.pkl"
    info = write_generator_pickle(pkl, config="tiny", seed=7, cuda_tagged=True)
    out = convert_generator(pkl, tmp_path / "cache")
    return pkl, out, info


def test_cache_round_trip_is_bit_exact(gen_tiny_cache, monkeypatch):
    pkl, cache, info = gen_tiny_cache
    assert cache == pkl.parent / "cache"
    assert (cache / TENSORS_FILE).is_file() and (cache / META_FILE).is_file()
    from_pkl = load_generator(pkl)

    def no_pickle(*args, **kwargs):
        raise AssertionError("the cache must load without unpickling")

    monkeypatch.setattr(pickle_safe.RestrictedUnpickler, "load", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    from_cache = load_generator(cache)
    assert from_cache.layer_names == from_pkl.layer_names == info["layer_names"]
    assert from_cache.records_attrs == from_pkl.records_attrs
    a, b = from_pkl.state_dict(), from_cache.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    ws = torch.randn(2, from_pkl.num_ws, from_pkl.w_dim, generator=torch.Generator().manual_seed(0))
    img_a, feats_a = from_pkl(ws, capture=info["layer_names"][:3])
    img_b, feats_b = from_cache(ws, capture=info["layer_names"][:3])
    assert torch.equal(img_a, img_b)
    assert all(torch.equal(feats_a[k], feats_b[k]) for k in feats_a)


def test_cache_records_provenance(gen_tiny_cache):
    pkl, cache, _ = gen_tiny_cache
    meta = json.loads((cache / META_FILE).read_text())
    prov = meta["provenance"]
    assert prov["source_file"] == pkl.name
    assert prov["source_size"] == pkl.stat().st_size
    assert prov["source_sha256"] == hashlib.sha256(pkl.read_bytes()).hexdigest()
    assert prov["module_src_sha256"] == [hashlib.sha256(MODULE_SRC.encode()).hexdigest()]
    assert meta["tensors_sha256"] == hashlib.sha256((cache / TENSORS_FILE).read_bytes()).hexdigest()
    assert meta["synthesis"]["layer_names"] == load_generator(cache).layer_names
    assert load_generator(cache).provenance["source_sha256"] == prov["source_sha256"]


def test_corrupt_or_missing_cache_is_model_error(gen_tiny_cache, tmp_path: Path):
    _, cache, _ = gen_tiny_cache
    data = bytearray((cache / TENSORS_FILE).read_bytes())
    data[-1] ^= 0xFF
    (cache / TENSORS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256"):
        load_generator(cache)
    (cache / META_FILE).write_text("{not json")
    with pytest.raises(ModelError, match=META_FILE):
        load_generator(cache)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="convert"):
        load_generator(empty)


def test_cache_with_inconsistent_attributes_is_refused(gen_tiny_cache):
    _, cache, _ = gen_tiny_cache
    meta = json.loads((cache / META_FILE).read_text())
    meta["synthesis"]["layers"][1]["padding"] = [0, 0, 0, 0]
    (cache / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="padding"):
        load_generator(cache)
