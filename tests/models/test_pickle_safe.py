"""Restricted unpickler: allow-list, inert stubs, refusals without side effects."""

from __future__ import annotations

import hashlib
import io
import pickle
import warnings
from pathlib import Path

import dill
import numpy as np
import pytest
import torch

from lsi_rig.core.errors import ModelError, UnsafePickleError
from lsi_rig.models.generator import load_generator, load_generator_records
from lsi_rig.models.pickle_safe import (
    InertStub,
    PersistentRecord,
    classify_global,
    is_stub,
    load_restricted,
    loads_restricted,
)
from tests.models.pkl_writer import MODULE_SRC, write_generator_pickle


def _global_call(module: str, name: str, arg: str) -> bytes:
    """Protocol-0 pickle that calls module.name(arg) when loaded by a normal unpickler."""
    return f"c{module}\n{name}\n(V{arg}\ntR.".encode()


@pytest.mark.parametrize(
    ("module", "name", "code"),
    [
        ("os", "system", "touch {m}"),
        ("posix", "system", "touch {m}"),
        ("nt", "system", "touch {m}"),
        ("subprocess", "Popen", "touch {m}"),
        ("subprocess", "check_call", "touch {m}"),
        ("builtins", "eval", "open({m!r}, 'w')"),
        ("builtins", "exec", "open({m!r}, 'w')"),
        ("builtins", "open", "{m}"),
        ("builtins", "__import__", "os"),
        ("__builtin__", "eval", "open({m!r}, 'w')"),
        ("shutil", "rmtree", "{m}"),
        ("importlib", "import_module", "os"),
        ("pickle", "loads", "x"),
        ("io", "open", "{m}"),
        ("torch", "load", "{m}"),
        ("numpy", "load", "{m}"),
        ("runpy", "run_path", "{m}"),
    ],
)
def test_dangerous_global_is_refused_without_side_effect(tmp_path: Path, module, name, code):
    marker = tmp_path / "pwned"
    data = _global_call(module, name, code.format(m=str(marker)))
    with pytest.raises(UnsafePickleError) as info:
        loads_restricted(data)
    shown = {"__builtin__": "builtins"}.get(module, module)
    assert f"{shown}.{name}" in str(info.value)
    assert not marker.exists()


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.system, (f"touch {self.marker}",))


def test_reduce_to_os_system_inside_snapshot_refused(tmp_path: Path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(dill.dumps({"G_ema": _Evil(marker), "D": None}, protocol=3))
    with pytest.raises(UnsafePickleError, match=r"posix\.system|os\.system") as info:
        load_generator(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_storage_payload_with_forbidden_global_is_a_clear_model_error(tmp_path: Path):
    """The storage header check refuses it before torch.load sees it: UnsafePickleError."""
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(marker), protocol=2)
    data = b"\x80\x03ctorch.storage\n_load_from_bytes\nC" + bytes([len(payload)]) + payload
    data += b"\x85R."
    assert len(payload) < 256
    with pytest.raises(ModelError, match=r"storage header names (posix|os)\.system") as info:
        loads_restricted(data)
    assert isinstance(info.value, UnsafePickleError)
    assert not marker.exists()


def test_storage_payload_must_be_bytes():
    data = b"\x80\x03ctorch.storage\n_load_from_bytes\nK\x05\x85R."
    with pytest.raises(ModelError, match="expected bytes"):
        loads_restricted(data)


def test_policy_table():
    assert classify_global("collections", "OrderedDict") == "allowed"
    assert classify_global("numpy.core.multiarray", "_reconstruct") == "allowed"
    assert classify_global("numpy._core.multiarray", "scalar") == "allowed"
    assert classify_global("torch._utils", "_rebuild_tensor_v2") == "allowed"
    assert classify_global("builtins", "set") == "allowed"
    assert classify_global("builtins", "getattr") == "stub"
    assert classify_global("timm.models.vision_transformer", "VisionTransformer") == "stub"
    assert classify_global("dill._dill", "_create_function") == "stub"
    assert classify_global("torch.nn.modules.sparse", "Embedding") == "stub"
    for module, name in [
        ("builtins", "eval"),
        ("builtins", "compile"),
        ("builtins", "breakpoint"),
        ("os", "system"),
        ("posix", "system"),
        ("nt", "system"),
        ("sys", "exit"),
        ("socket", "socket"),
        ("ctypes", "CDLL"),
        ("marshal", "loads"),
        ("torch", "load"),
        ("torch.hub", "load"),
        ("torch.jit", "load"),
        ("numpy", "fromfile"),
        ("numpy.lib.npyio", "load"),
    ]:
        assert classify_global(module, name) == "refused", (module, name)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("webbrowser", "open"),
        ("tempfile", "mkdtemp"),
        ("http.client", "HTTPConnection"),
        ("evil_package.payload", "run"),
        ("__main__", "Exploit"),
    ],
)
def test_globals_outside_known_training_namespaces_are_refused(module: str, name: str):
    assert classify_global(module, name) == "refused"
    data = f"c{module}\n{name}\n(tR.".encode()
    with pytest.raises(UnsafePickleError, match=f"refused pickle global {module}.{name}"):
        loads_restricted(data)


def test_stub_never_calls_the_real_object(tmp_path: Path):
    """A discarded-branch global: constructing/calling/setstate/attrs only yield stubs."""
    marker = tmp_path / "pwned"
    # timm.foo.make(...)(...) then BUILD with a state, inside a list
    data = f"ctimm.foo\nmake\n(V{marker}\ntR(V{marker}\ntR}}Vx\nI1\nsb.".encode()
    obj = loads_restricted(data)
    assert is_stub(obj)
    assert is_stub(obj.anything)
    assert is_stub(obj(1, 2))
    assert not marker.exists()


def test_persistent_record_never_execs_module_src(tmp_path: Path):
    marker = tmp_path / "pwned"
    src = f"open({str(marker)!r}, 'w').write('x')\n"
    meta = {"type": "class", "version": 6, "module_src": src, "class_name": "Foo", "state": {}}
    body = pickle.dumps(meta, protocol=3)[2:-1]  # strip PROTO and STOP
    data = b"\x80\x03ctorch_utils.persistence\n_reconstruct_persistent_obj\n" + body + b"\x85R."
    rec = loads_restricted(data)
    assert isinstance(rec, PersistentRecord)
    assert rec.class_name == "Foo"
    assert rec.module_src_sha256 == hashlib.sha256(src.encode()).hexdigest()
    assert not marker.exists()


def test_persistent_id_refused():
    with pytest.raises(UnsafePickleError, match="persistent id"):
        loads_restricted(b"\x80\x03X\x03\x00\x00\x00abcQ.")


def test_numpy1_names_resolve_under_numpy2_without_warnings():
    arr = np.arange(6, dtype=np.int64).reshape(2, 3)
    data = dill.dumps({"a": arr, "f": np.float64(2.5), "b": np.bool_(True)}, protocol=3)
    data = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert b"cnumpy.core.multiarray\n_reconstruct" in data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = loads_restricted(data)
    np.testing.assert_array_equal(out["a"], arr)
    assert out["f"] == 2.5 and isinstance(out["f"], np.float64)
    assert out["b"] is np.True_


def test_numpy_array_subtype_other_than_ndarray_refused():
    data = b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy.ma.core\nMaskedArray\n(I0\ntVb\ntR."
    with pytest.raises(UnsafePickleError, match="subtype"):
        loads_restricted(data)


def test_dill_load_type_maps_builtins_and_stubs_the_rest():
    data = dill.dumps({"s": {"a", "b"}}, protocol=3)
    assert b"_load_type" in data
    assert loads_restricted(data) == {"s": {"a", "b"}}
    code_type = b"\x80\x03cdill._dill\n_load_type\nX\x08\x00\x00\x00CodeType\x85R."
    assert is_stub(loads_restricted(code_type))


def test_dill_create_array_only_with_numpy_reconstruct():
    data = b"\x80\x03cdill._dill\n_create_array\n(cbuiltins\nlist\n)NNtR."
    with pytest.raises(UnsafePickleError, match="array constructor"):
        loads_restricted(data)


def test_tensors_and_parameters_rebuilt():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)[:, 1:]
    p = torch.nn.Parameter(torch.ones(5))
    out = loads_restricted(dill.dumps({"t": t, "p": p, "n": torch.LongTensor([7])}, protocol=3))
    assert torch.equal(out["t"], t)
    assert torch.equal(out["p"], torch.ones(5)) and not out["p"].requires_grad
    assert out["n"].dtype == torch.int64 and out["n"].item() == 7


@pytest.mark.parametrize("cuda_tagged", [False, True])
def test_fixture_pickle_loads_and_discards_d(tmp_path: Path, cuda_tagged: bool):
    path = tmp_path / "tiny.pkl"
    info = write_generator_pickle(path, config="tiny", cuda_tagged=cuda_tagged)
    raw = path.read_bytes()
    if cuda_tagged:
        assert b"cuda:0" in raw and b"ctorch.cuda\nFloatStorage" in raw
    assert b"cnumpy.core.multiarray\n" in raw and b"dill._dill\n_create_function" in raw
    snap = load_restricted(path)
    assert set(snap) == {"G", "D", "G_ema", "augment_pipe", "progress", "training_set_kwargs"}
    assert is_stub(snap["D"]) or isinstance(snap["D"], InertStub)
    assert snap["augment_pipe"] is None
    assert snap["progress"]["cur_nimg"].item() == 1234
    g_ema = snap["G_ema"]
    assert isinstance(g_ema, PersistentRecord) and g_ema.class_name == "SuperresGenerator"
    assert g_ema.module_src_sha256 == hashlib.sha256(MODULE_SRC.encode()).hexdigest()
    assert is_stub(g_ema.state["_modules"]["mapping"].state["_modules"]["embed"])
    rec = load_generator_records(path)
    assert rec.attrs.layer_names == info["layer_names"]
    assert all(t.device.type == "cpu" for t in rec.tensors.values())


def test_cuda_tagged_and_plain_pickles_give_identical_tensors(tmp_path: Path):
    write_generator_pickle(tmp_path / "a.pkl", config="tiny", seed=3)
    write_generator_pickle(tmp_path / "b.pkl", config="tiny", seed=3, cuda_tagged=True)
    a = load_generator_records(tmp_path / "a.pkl").tensors
    b = load_generator_records(tmp_path / "b.pkl").tensors
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_not_a_pickle_is_model_error(tmp_path: Path):
    path = tmp_path / "junk.pkl"
    path.write_bytes(b"this is not a pickle")
    with pytest.raises(ModelError, match=r"junk\.pkl"):
        load_restricted(path)
    with pytest.raises(ModelError, match="does not exist"):
        load_generator(tmp_path / "missing.pkl")


def test_bytes_io_roundtrip_of_plain_containers():
    data = pickle.dumps({"a": [1, 2.5, "x", b"y", (1, 2)], "b": None}, protocol=3)
    assert loads_restricted(io.BytesIO(data).getvalue()) == {
        "a": [1, 2.5, "x", b"y", (1, 2)],
        "b": None,
    }


def test_policy_table_and_implementations_agree():
    from lsi_rig.models import pickle_policy, pickle_safe

    assert set(pickle_safe._ALLOWED) == pickle_policy.ALLOWED_GLOBALS
    assert all(classify_global(m, n) == "allowed" for m, n in pickle_policy.ALLOWED_GLOBALS)
