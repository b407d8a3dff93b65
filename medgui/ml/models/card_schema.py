"""The ranges of a model card's values, checked when a card is read.

A model folder is untrusted input (bundles are imported from others), and inference builds a
network and allocates buffers from the card: a spacing of 0, an input of 10⁹ pixels, 10⁵
classes or 10⁶ channels would end in a ZeroDivisionError, an overflow or an allocation failure
deep inside torch. Each check here names the field and says what it must be instead.
`ModelCard.from_json` checks the types first; `check_values` then checks the ranges of the
fields present, and `require_for_inference` the fields a network cannot be rebuilt without.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 24  # the deepest nesting a card written by medgui has is about 6
MAX_CLASSES = 1000
MAX_CHANNELS = 16
MAX_SIDE = 4096
MAX_VOXELS = 1 << 27  # one network input: 512×512×512 is already too much for any card here
MAX_NAME = 256
SPACING_MM = (1e-3, 1e3)
MAX_WIDTH = 4096  # a U-Net level's feature maps


def depth(value: Any) -> int:
    """How deeply `value` nests lists and dicts (iterative: a hostile card cannot exhaust the
    stack here)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:  # deeper than the limit is already a refusal
                todo += [
                    (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
                ]
    return deepest


def _int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value: Any, low: float = -math.inf, high: float = math.inf) -> bool:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value) and low <= value <= high


def _ints(value: Any, sizes: tuple[int, ...], low: int, high: int) -> bool:
    return (
        isinstance(value, list) and len(value) in sizes and all(_int(v, low, high) for v in value)
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def __call__(self, ok: bool, field: str, value: Any, must: str) -> None:
        if not ok:
            raise ValueError(
                f"{self.source}: model card field {field!r} {must}, got {_shown(value)}"
            )


def _check_window(check: _Checker, field: str, value: Any, centre_width: bool) -> None:
    pair = isinstance(value, list | tuple) and len(value) == 2 and all(map(_number, value))
    if centre_width:
        check(pair and value[1] > 0, field, value, "must be [centre, width] with width > 0")
    else:
        check(pair and value[1] > value[0], field, value, "must be [low, high] with high > low")


def _check_options(check: _Checker, options: dict[str, Any]) -> None:
    """The task options inference rebuilds the network from (see `config_from_card`)."""
    field = "hyperparameters.options"
    if "channels" in options:
        value = options["channels"]
        ok = _ints(value, tuple(range(2, 9)), 1, MAX_WIDTH)
        check(ok, f"{field}.channels", value, f"must be 2 to 8 widths from 1 to {MAX_WIDTH}")
    if "res_units" in options:
        value = options["res_units"]
        check(_int(value, 0, 8), f"{field}.res_units", value, "must be a whole number 0 to 8")
    for key in ("size", "patch_size"):
        value = options.get(key)
        if value is not None and not isinstance(value, list):
            check(_int(value, 1, MAX_SIDE), f"{field}.{key}", value, f"must be 1 to {MAX_SIDE}")
        elif value is not None:
            check(
                _ints(value, (2, 3), 1, MAX_SIDE),
                f"{field}.{key}",
                value,
                f"must be 2 or 3 sides from 1 to {MAX_SIDE}",
            )
    if options.get("in_channels") is not None:
        value = options["in_channels"]
        check(
            _int(value, 1, MAX_CHANNELS),
            f"{field}.in_channels",
            value,
            f"must be 1 to {MAX_CHANNELS}",
        )
    for key, high in (("vocab_size", 1 << 17), ("max_tokens", MAX_SIDE), ("embed", MAX_WIDTH)):
        if key in options:  # the report network's sizes
            value = options[key]
            check(_int(value, 2, high), f"{field}.{key}", value, f"must be 2 to {high}")
    for key in ("width", "hidden"):  # the beat and report networks' sizes
        if key in options:
            value = options[key]
            check(_int(value, 1, MAX_WIDTH), f"{field}.{key}", value, f"must be 1 to {MAX_WIDTH}")
    if "ct_window" in options:
        _check_window(check, f"{field}.ct_window", options["ct_window"], centre_width=False)


def _check_labels(check: _Checker, labels: Any) -> None:
    field = "extra.labels"
    ok = isinstance(labels, list) and len(labels) < MAX_CLASSES
    check(ok, field, labels, f"must be a list of at most {MAX_CLASSES - 1} labels")
    for label in labels:
        ok = (
            isinstance(label, dict)
            and _int(label.get("value"), 1, 65535)
            and isinstance(label.get("name"), str)
            and 0 < len(label["name"]) <= MAX_NAME
            and _ints(label.get("color"), (3,), 0, 255)
        )
        check(ok, field, label, "entries must be {value 1..65535, name, color [r, g, b]}")


def check_values(content: dict[str, Any], source: str) -> None:
    """ValueError naming the field of `content` (a card's JSON, types already checked) whose
    value is out of range, and why."""
    check = _Checker(source)
    for key, value in content.items():
        check(depth(value) <= MAX_DEPTH, key, "...", f"nests deeper than {MAX_DEPTH} levels")
    for key in ("task", "model", "name", "device", "created_at", "origin"):
        if key in content:
            check(len(content[key]) <= MAX_NAME, key, content[key], f"is over {MAX_NAME} chars")
    classes = content.get("classes", [])
    check(
        len(classes) <= MAX_CLASSES,
        "classes",
        f"{len(classes)} classes",
        f"must hold at most {MAX_CLASSES} classes",
    )
    check(
        all(0 < len(c) <= MAX_NAME for c in classes),
        "classes",
        classes,
        f"must be names of 1 to {MAX_NAME} characters",
    )
    if content.get("input_size") is not None:
        size = content["input_size"]
        ok = _ints(size, (2, 3), 1, MAX_SIDE) and math.prod(size) <= MAX_VOXELS
        check(
            ok,
            "input_size",
            size,
            f"must be 2 or 3 sides from 1 to {MAX_SIDE} (at most {MAX_VOXELS} voxels)",
        )
    if "input_channels" in content:
        value = content["input_channels"]
        check(_int(value, 1, MAX_CHANNELS), "input_channels", value, f"must be 1 to {MAX_CHANNELS}")
    if content.get("input_spacing_mm") is not None:
        value = content["input_spacing_mm"]
        ok = isinstance(value, list) and len(value) in (2, 3)
        ok = ok and all(_number(v, *SPACING_MM) for v in value)
        check(
            ok,
            "input_spacing_mm",
            value,
            f"must be 2 or 3 spacings from {SPACING_MM[0]} to {SPACING_MM[1]:g} mm",
        )
    if "model_version" in content:
        value = content["model_version"]
        check(_int(value, 0, 1 << 31), "model_version", value, "must be a version number")
    normalisation = content.get("normalisation", {})
    if "ct_window" in normalisation:
        _check_window(check, "normalisation.ct_window", normalisation["ct_window"], True)
    if "ct" in normalisation:
        window = (
            normalisation["ct"].get("window_hu") if isinstance(normalisation["ct"], dict) else None
        )
        _check_window(check, "normalisation.ct.window_hu", window, centre_width=False)
    options = content.get("hyperparameters", {}).get("options", {})
    check(isinstance(options, dict), "hyperparameters.options", options, "must be an object")
    _check_options(check, options)
    extra = content.get("extra", {})
    if "labels" in extra:
        _check_labels(check, extra["labels"])
    if "fs_hz" in extra:
        value = extra["fs_hz"]
        check(_number(value, 10, 2000), "extra.fs_hz", value, "must be 10 to 2000 Hz")
    if "spatial_dims" in extra:
        value = extra["spatial_dims"]
        check(_int(value, 2, 3), "extra.spatial_dims", value, "must be 2 or 3")


def require_for_inference(card: Any, source: str) -> None:
    """ValueError naming the first field a network cannot be rebuilt without: the classes
    (at least two) and the input size."""
    check = _Checker(source)
    # A beat model's presence output is its own: one beat symbol is a model already.
    least = 1 if card.task == "beats" else 2
    check(
        len(card.classes) >= least, "classes", card.classes, f"must name at least {least} classes"
    )
    check(bool(card.input_size), "input_size", card.input_size, "must give the input's sides")
    labels = card.extra.get("labels")
    if card.task == "segment" and labels is not None:  # one output channel per class
        check(
            len(labels) == len(card.classes) - 1,
            "extra.labels",
            labels,
            f"must describe each of the {len(card.classes) - 1} classes after the background",
        )
