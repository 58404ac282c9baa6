"""Which globals a network pickle may name: allowed, inert stub, or refused.

The policy of :mod:`lsi_rig.models.pickle_safe`, kept apart so it can be read (and reviewed) as
one table. Allowed globals resolve to our own checked re-implementations; globals of the
packages that the *discarded* parts of a StyleGAN-XL training pickle use (the discriminator with
timm/pg_modules/feature_networks, ``augment_pipe``, dill's reconstructors) become inert stubs;
everything else — and explicitly everything that touches the system or runs code — is refused
(shared/reference/lsi-model.md §7.3).
"""

from __future__ import annotations

from typing import Any

#: Globals resolved to our own re-implementations (the mapping lives in pickle_safe).
ALLOWED_GLOBALS = frozenset(
    {
        ("torch_utils.persistence", "_reconstruct_persistent_obj"),
        ("torch.storage", "_load_from_bytes"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch._utils", "_rebuild_parameter_with_state"),
        ("collections", "OrderedDict"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("dill._dill", "_load_type"),
        ("dill._dill", "_create_array"),
    }
)

_REFUSED_ROOTS = frozenset(
    {
        "os",
        "posix",
        "nt",
        "posixpath",
        "ntpath",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "importlib",
        "pickle",
        "_pickle",
        "pickletools",
        "marshal",
        "ctypes",
        "runpy",
        "code",
        "codeop",
        "io",
        "_io",
        "pty",
        "tempfile",
        "multiprocessing",
        "signal",
        "webbrowser",
        "urllib",
        "http",
        "asyncio",
        "operator",
        "_operator",
        "zipimport",
        "pdb",
    }
)

_REFUSED_PREFIXES = (
    "torch.hub",
    "torch.jit",
    "torch.package",
    "torch.ops",
    "torch.utils.cpp_extension",
    "torch.serialization",
    "torch._C",
    "torch._dynamo",
    "torch.compiler",
    "torch.distributed",
    "torch.multiprocessing",
    "numpy.lib.npyio",
    "numpy.ctypeslib",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.testing",
    "numpy.lib._npyio_impl",
)

_REFUSED_GLOBALS = frozenset(
    {
        ("torch", "load"),
        ("torch", "save"),
        ("torch", "from_file"),
        ("torch.storage", "_load_from_file"),
        ("torch", "compile"),
        ("numpy", "load"),
        ("numpy", "loadtxt"),
        ("numpy", "genfromtxt"),
        ("numpy", "fromfile"),
        ("numpy", "memmap"),
        ("numpy", "save"),
        ("numpy", "savez"),
        ("numpy", "tofile"),
        ("dill", "load"),
        ("dill", "loads"),
        ("dill._dill", "load"),
        ("dill._dill", "loads"),
        ("dill._dill", "_load_from_file"),
    }
)

# Builtins that are plain value types: resolving them to the real type cannot run code.
_SAFE_BUILTINS: dict[str, Any] = {
    "set": set,
    "frozenset": frozenset,
    "list": list,
    "dict": dict,
    "tuple": tuple,
    "bytes": bytes,
    "bytearray": bytearray,
    "str": str,
    "int": int,
    "float": float,
    "complex": complex,
    "bool": bool,
    "slice": slice,
    "range": range,
    "NoneType": type(None),
}
# Builtins seen when dill pickles the discriminator's bound methods and closures by value
# (``getattr`` for methods, ``setattr``/``__dict__`` for function globals): stub, never call.
# Every other builtin (eval, exec, compile, __import__, open, ...) is refused.
_STUBBED_BUILTINS = frozenset({"getattr", "setattr", "__dict__"})

#: Top-level packages whose globals appear in the *discarded* parts of a StyleGAN-XL training
#: pickle (D = ProjectedDiscriminator with timm/pg_modules/feature_networks, augment_pipe,
#: training options, dill's reconstructors). Globals there become inert stubs; a global from any
#: other package is refused, as shared/reference/lsi-model.md §7.3 asks.
_STUB_ROOTS = frozenset(
    {
        "timm",
        "pg_modules",
        "feature_networks",
        "training",
        "torch_utils",
        "dnnlib",
        "legacy",
        "metrics",
        "torchvision",
        "torch",
        "dill",
        "numpy",
        "collections",
        "functools",
        "copyreg",
        "types",
        "_codecs",
        "math",
        "scipy",
        "in_embeddings",
    }
)


def classify_global(module: str, name: str) -> str:
    """``"allowed"``, ``"stub"`` or ``"refused"``: the policy, exposed for tests and docs."""
    module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
    if (module, name) in ALLOWED_GLOBALS:
        return "allowed"
    root = module.split(".")[0]
    if module == "builtins":
        if name in _SAFE_BUILTINS:
            return "allowed"
        return "stub" if name in _STUBBED_BUILTINS else "refused"
    if root in _REFUSED_ROOTS or (module, name) in _REFUSED_GLOBALS:
        return "refused"
    if any(module == p or module.startswith(p + ".") for p in _REFUSED_PREFIXES):
        return "refused"
    if root == "numpy" and name.startswith(("load", "save", "from")):
        return "refused"
    return "stub" if root in _STUB_ROOTS else "refused"
