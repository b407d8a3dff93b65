"""Loading model weights without ever unpickling untrusted code.

A pickle can run any code while it loads (its ``__reduce__`` names a callable and arguments), so
a "model" someone sends is a program. medgui accepts exactly two formats:

* safetensors (``.safetensors``): a JSON header and raw tensor bytes; nothing executes;
* a plain state dict saved by ``torch.save``: read with ``torch.load(weights_only=True)``, whose
  restricted unpickler only rebuilds tensors and plain containers and refuses any other global
  (``os.system``, a pickled ``nn.Module``, ...) before calling it.

Anything else is refused with a `ValueError` that names the file and says why.
"""

from __future__ import annotations

import pickle
import re
import struct
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

SAFETENSORS_SUFFIX = ".safetensors"
# A safetensors file starts with the 8-byte little-endian length of its JSON header, then "{".
_SAFETENSORS_HEADER_START = 8
_REFUSED_GLOBAL = re.compile(r"GLOBAL (\S+)")
_UNPICKLER_ERROR = "WeightsUnpickler error:"
_BOILERPLATE = ("Weights only load failed", "Please file an issue", "Check the documentation")
# What the restricted unpickler and torch's zip reader raise on damaged or foreign bytes (found
# by feeding them random data); nothing in the file has run when they do.
_GARBAGE_ERRORS = (
    RuntimeError,
    EOFError,
    OSError,
    zipfile.BadZipFile,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
    OverflowError,
    struct.error,
)


def is_safetensors(path: str | Path) -> bool:
    """Whether `path` looks like a safetensors file (by suffix, or by its first bytes)."""
    path = Path(path)
    if path.suffix.lower() == SAFETENSORS_SUFFIX:
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SAFETENSORS_HEADER_START + 1)
    except OSError:
        return False
    return len(head) == _SAFETENSORS_HEADER_START + 1 and head[-1:] == b"{"


def load_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file (on the CPU); ValueError naming the file if it is not
    a valid one."""
    path = Path(path)
    try:
        return load_file(path, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise ValueError(f"{path}: not a valid safetensors file ({error})") from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    # torch's weights-only message is a page long and ends with advice to allowlist the global,
    # which is exactly what must not be done with an untrusted file: keep the name only.
    match = _REFUSED_GLOBAL.search(text)
    if match:
        return f"it names {match.group(1)}, which a plain state dict never does"
    _, marker, detail = text.partition(_UNPICKLER_ERROR)
    lines = [line.strip() for line in (detail if marker else text).splitlines()]
    lines = [line for line in lines if line and not line.startswith(_BOILERPLATE)]
    return lines[0] if lines else type(error).__name__


def _check_state_dict(path: Path, data: object) -> dict[str, torch.Tensor]:
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{path}: holds a {type(data).__name__}, not a state dict (a mapping of names to "
            "tensors)"
        )
    bad = [str(k) for k, v in data.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        shown = ", ".join(bad[:3]) + (" ..." if len(bad) > 3 else "")
        raise ValueError(f"{path}: not a plain state dict: entries {shown} are not named tensors")
    return dict(data)


def load_torch_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state dict saved with ``torch.save``, loaded with ``weights_only=True`` (an
    explicit True cannot be overridden by TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD). ValueError naming
    the file for a pickled module, a pickle with a payload, or anything that is not a torch
    file; nothing in the file runs."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols it did not write; the refusal below says more.
            warnings.simplefilter("ignore", UserWarning)
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path}: refused: not a plain PyTorch state dict ({_first_line(error)})"
        ) from error
    except _GARBAGE_ERRORS as error:
        reason = f"{type(error).__name__}: {_first_line(error)}"
        raise ValueError(f"{path}: not a PyTorch weights file ({reason})") from error
    return _check_state_dict(path, data)


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Weights from `path`: safetensors, or a plain ``torch.save`` state dict; ValueError
    (naming the file and the reason) for anything else. Never runs code from the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if is_safetensors(path):
        return load_safetensors(path)
    return load_torch_state_dict(path)


def check_weights(
    expected: Mapping[str, torch.Tensor], weights: Mapping[str, torch.Tensor], source: str | Path
) -> None:
    """ValueError naming `source`, the layer and the shapes when `weights` do not fit the
    network's state dict `expected`, or hold non-float or non-finite values (an int8 or NaN
    tensor loads without complaint and only makes every prediction empty)."""
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    if missing or extra:
        what = f"lacks {missing[0]}" if missing else f"has {extra[0]}, which the network lacks"
        count = len(missing) + len(extra)
        more = f" ({count} layers differ)" if count > 1 else ""
        raise ValueError(f"{source}: the weights do not fit the card's network: {what}{more}")
    for name, tensor in weights.items():
        want = expected[name]
        if tuple(tensor.shape) != tuple(want.shape):
            raise ValueError(
                f"{source}: the weights do not fit the card's network: layer {name} has shape "
                f"{list(tensor.shape)}, the network needs {list(want.shape)}"
            )
        if want.is_floating_point() and not tensor.is_floating_point():
            raise ValueError(f"{source}: layer {name} holds {tensor.dtype}, not floating point")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{source}: layer {name} holds NaN or infinite values")
