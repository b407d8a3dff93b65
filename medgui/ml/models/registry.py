"""The model registry: every training run is a new version, kept in the workspace.

Layout::

    <workspace>/models/<name>/
      active.json                {"format": "medgui-active-model", "version": 1, "active": N}
      versions.json              {"format": "medgui-model-versions", "version": 1, "last": N}
      v1/weights.safetensors     the weights (safetensors only: loading runs no code)
      v1/card.json               the model card (`ModelCard`)
      v2/ ...

A version folder appears whole or not at all: it is written under a hidden temporary name
(each file atomically) and renamed into place; deletion renames it away before removing it.
Version numbers are never reused (versions.json keeps the last one given), so ``name/vN``
always means the same model. Bundles (export/import) are zips holding exactly
``weights.safetensors`` and ``card.json``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from medgui.core.util.atomic import (
    TEMPORARY_PREFIX,
    atomic_write_json,
    atomic_writer,
    fsync_directory,
)
from medgui.core.util.jsonfile import parse_json, read_json
from medgui.core.workspace.audit import AuditLog
from medgui.core.workspace.layout import models_dir
from medgui.ml.models.card import ModelCard, compare_cards, read_card
from medgui.ml.models.safe_load import load_safetensors
from medgui.ml.models.write_errors import writing

WEIGHTS, CARD = "weights.safetensors", "card.json"
ACTIVE, VERSIONS = "active.json", "versions.json"
ACTIVE_FORMAT, VERSIONS_FORMAT = "medgui-active-model", "medgui-model-versions"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VERSION_DIR = re.compile(r"v([1-9][0-9]*)")
# An imported bundle is untrusted: refuse sizes that could only be a zip bomb.
MAX_CARD_BYTES = 16 << 20
MAX_WEIGHTS_BYTES = 8 << 30


@dataclass(frozen=True)
class ModelVersion:
    """One saved version of a named model; `path` is its folder (usable as a model dir)."""

    name: str
    number: int
    path: Path

    @property
    def id(self) -> str:
        """``name/vN``, as shown to the user."""
        return f"{self.name}/v{self.number}"

    @property
    def weights_path(self) -> Path:
        return self.path / WEIGHTS

    @property
    def card_path(self) -> Path:
        return self.path / CARD

    def __fspath__(self) -> str:
        return str(self.path)


def check_name(name: str) -> str:
    """`name` if it is a valid model name (it becomes a folder name); ValueError otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(
            f"model name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _plain_tensors(state_dict: dict[str, Any]) -> dict[str, torch.Tensor]:
    """CPU, contiguous tensors that share no memory (safetensors refuses shared storage)."""
    out, seen = {}, set()
    for key, value in state_dict.items():
        if not isinstance(key, str) or not torch.is_tensor(value):
            raise ValueError(f"state dict entry {key!r} is not a named tensor")
        tensor = value.detach().to("cpu").contiguous()
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in seen and tensor.numel():
            tensor = tensor.clone()
        seen.add(pointer)
        out[key] = tensor
    return out


def _write_card(path: Path, card: ModelCard) -> None:
    atomic_write_json(path, card.to_json())


class ModelRegistry:
    """Named models and their versions under ``<root>/models`` (`root`: the workspace)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.models_dir = models_dir(self.root)
        # One change at a time within the process; the folder rename guards across processes.
        self._lock = threading.RLock()

    def _model_dir(self, name: str) -> Path:
        return self.models_dir / check_name(name)

    def version(self, name: str, number: int) -> ModelVersion:
        """Version `number` of `name`; ValueError if it does not exist."""
        found = self._model_dir(name) / f"v{int(number)}"
        if not found.is_dir():
            raise ValueError(f"{found}: model {name} has no version {number}")
        return ModelVersion(name, int(number), found)

    def list_models(self) -> list[str]:
        """Names of the models that have at least one version."""
        if not self.models_dir.is_dir():
            return []
        names = [
            p.name for p in self.models_dir.iterdir() if p.is_dir() and _NAME.fullmatch(p.name)
        ]
        return sorted(name for name in names if self.versions(name))

    def versions(self, name: str) -> list[ModelVersion]:
        """The versions of `name`, oldest first (temporary and half-deleted folders ignored)."""
        folder = self._model_dir(name)
        if not folder.is_dir():
            return []
        found = []
        for entry in folder.iterdir():
            match = _VERSION_DIR.fullmatch(entry.name)
            if match and entry.is_dir():
                found.append(ModelVersion(name, int(match.group(1)), entry))
        return sorted(found, key=lambda v: v.number)

    def load_card(self, version: ModelVersion) -> ModelCard:
        """The card of `version`; ValueError naming the file if it is unreadable."""
        return read_card(version.card_path)

    def load_weights(self, version: ModelVersion) -> dict[str, torch.Tensor]:
        """The state dict of `version` (safetensors only)."""
        return load_safetensors(version.weights_path)

    def _commit(self, name: str, fill) -> ModelVersion:
        """Make the next version of `name`: `fill(folder, number)` writes its files into a
        temporary folder, which is then renamed into place."""
        with self._lock:
            folder = self._model_dir(name)
            new_root = not self.models_dir.exists()
            folder.mkdir(parents=True, exist_ok=True)
            staging = folder / f"{TEMPORARY_PREFIX}{uuid.uuid4().hex[:12]}"
            staging.mkdir()
            try:
                existing = [v.number for v in self.versions(name)]
                number = max([self._last_number(name), *existing]) + 1
                fill(staging, number)
                fsync_directory(staging)
                # rename() fails on an existing non-empty folder: two writers never share one.
                os.rename(staging, folder / f"v{number}")
                fsync_directory(folder)
                document = {"format": VERSIONS_FORMAT, "version": 1, "last": number}
                atomic_write_json(folder / VERSIONS, document)
            finally:
                if staging.exists():
                    shutil.rmtree(staging)
                if not any(folder.iterdir()):
                    folder.rmdir()  # a failed first version leaves no trace
                if new_root and not any(self.models_dir.iterdir()):
                    self.models_dir.rmdir()
            return ModelVersion(name, number, folder / f"v{number}")

    def _last_number(self, name: str) -> int:
        """The highest version number ever given to `name` (deleted ones included), so that
        a number names one model only, even after the newest version was deleted."""
        path = self._model_dir(name) / VERSIONS
        if not path.is_file():
            return 0
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("last"), int):
            raise ValueError(f"{path}: not a medgui model versions file")
        return data["last"]

    def save_version(
        self,
        name: str,
        state_dict: dict[str, Any],
        card: ModelCard,
        *,
        activate: bool = True,
        extras: dict[str, dict[str, Any]] | None = None,
    ) -> ModelVersion:
        """Save a new version of `name` (the next number) with `state_dict` as safetensors and
        `card` (its name and version set here); it becomes the active one unless
        `activate=False`. `extras` are more weight files beside them ({file name: tensors}, e.g.
        a GAN's generator); bundles carry only the classifier's weights and card."""

        def fill(staging: Path, number: int) -> None:
            card.name, card.model_version = name, number
            shown = staging.parent / f"v{number}"  # the staging folder's name means nothing
            with writing(shown / WEIGHTS), atomic_writer(staging / WEIGHTS) as temporary:
                save_file(_plain_tensors(state_dict), temporary, metadata={"format": "pt"})
            for file_name, tensors in (extras or {}).items():
                with writing(shown / file_name), atomic_writer(staging / file_name) as temporary:
                    save_file(_plain_tensors(tensors), temporary, metadata={"format": "pt"})
            with writing(shown / CARD):
                _write_card(staging / CARD, card)

        version = self._commit(name, fill)
        if activate:
            self.set_active(version)
        return version

    def set_active(self, version: ModelVersion) -> None:
        """Make `version` the one the app runs for its model name."""
        with self._lock:
            self.version(version.name, version.number)
            document = {"format": ACTIVE_FORMAT, "version": 1, "active": version.number}
            atomic_write_json(self._model_dir(version.name) / ACTIVE, document)

    def active(self, name: str) -> ModelVersion | None:
        """The active version of `name`, or None (no versions, or the active one is gone)."""
        path = self._model_dir(name) / ACTIVE
        if not path.is_file():
            return None
        data = read_json(path)
        if not isinstance(data, dict) or data.get("format") != ACTIVE_FORMAT:
            raise ValueError(f"{path}: not a medgui active-model file")
        number = data.get("active")
        return next((v for v in self.versions(name) if v.number == number), None)

    def rollback(self, name: str) -> ModelVersion:
        """Make the version before the active one active; returns it. ValueError if there is
        no earlier version."""
        with self._lock:
            current = self.active(name)
            versions = self.versions(name)
            if current is None:
                raise ValueError(f"model {name} has no active version to roll back from")
            earlier = [v for v in versions if v.number < current.number]
            if not earlier:
                raise ValueError(f"{current.id} is the oldest version: nothing to roll back to")
            self.set_active(earlier[-1])
            return earlier[-1]

    def delete(self, version: ModelVersion, *, force: bool = False) -> None:
        """Delete `version`. The active one only with `force`; the previous version (else the
        newest left) then becomes active."""
        with self._lock:
            self.version(version.name, version.number)
            current = self.active(version.name)
            is_active = current is not None and current.number == version.number
            if is_active and not force:
                raise ValueError(f"{version.id} is the active version; roll back first or force")
            folder = self._model_dir(version.name)
            doomed = folder / f"{TEMPORARY_PREFIX}deleted-{uuid.uuid4().hex[:12]}"
            os.rename(version.path, doomed)  # gone from listings at once, even if rmtree fails
            fsync_directory(folder)
            shutil.rmtree(doomed)
            left = self.versions(version.name)
            if is_active:
                earlier = [v for v in left if v.number < version.number]
                successor = (earlier or left)[-1] if left else None
                if successor is not None:
                    self.set_active(successor)
            if not left:  # versions.json stays: a later model of this name goes on numbering
                (folder / ACTIVE).unlink(missing_ok=True)

    def compare(self, a: ModelVersion, b: ModelVersion) -> dict[str, Any]:
        """What differs between two versions, for the UI (see `compare_cards`), with their ids
        under "a" and "b"."""
        return {"a": a.id, "b": b.id} | compare_cards(self.load_card(a), self.load_card(b))

    def export_bundle(self, version: ModelVersion, zip_path: str | Path) -> Path:
        """Write `version` as a zip of its weights and card (atomically); returns the path."""
        version = self.version(version.name, version.number)
        zip_path = Path(zip_path)
        with atomic_writer(zip_path) as temporary:
            with zipfile.ZipFile(temporary, "w") as bundle:
                bundle.write(version.weights_path, WEIGHTS, compress_type=zipfile.ZIP_STORED)
                bundle.write(version.card_path, CARD, compress_type=zipfile.ZIP_DEFLATED)
        AuditLog(self.root).record("model_exported", version=version.id, path=zip_path)
        return zip_path

    def import_bundle(
        self, zip_path: str | Path, name: str | None = None, *, activate: bool = False
    ) -> ModelVersion:
        """Add the model in bundle `zip_path` as a new version of `name` (default: the name in
        its card). The bundle is checked before anything is kept: exactly the two files, no
        paths, sane sizes, a valid card, weights that load as safetensors. ValueError naming
        the bundle and the problem otherwise."""
        zip_path = Path(zip_path)
        try:
            with zipfile.ZipFile(zip_path) as bundle:
                members = _check_members(zip_path, bundle)
                card = ModelCard.from_json(
                    _read_json_member(zip_path, bundle, members[CARD]), f"{zip_path}:{CARD}"
                )
                name = check_name(name or card.name or zip_path.stem)

                def fill(staging: Path, number: int) -> None:
                    shown = staging.parent / f"v{number}"
                    with writing(shown / WEIGHTS), atomic_writer(staging / WEIGHTS) as temporary:
                        _extract(zip_path, bundle, members[WEIGHTS], temporary)
                    try:  # refuses anything but safetensors
                        load_safetensors(staging / WEIGHTS)
                    except ValueError as error:
                        detail = str(error).removeprefix(f"{staging / WEIGHTS}: ")
                        raise ValueError(f"{zip_path}: {WEIGHTS} refused: {detail}") from error
                    card.name, card.model_version = name, number
                    card.origin = f"imported from {zip_path.name}"
                    with writing(shown / CARD):
                        _write_card(staging / CARD, card)

                version = self._commit(name, fill)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError) as error:
            raise ValueError(f"{zip_path}: not a readable model bundle ({error})") from error
        if activate:
            self.set_active(version)
        AuditLog(self.root).record(
            "model_imported", version=version.id, path=zip_path, activated=activate
        )
        return version


def _check_members(zip_path: Path, bundle: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = bundle.infolist()
    names = [info.filename for info in infos]
    if sorted(names) != sorted([WEIGHTS, CARD]):
        # Exact names only: no folders, no "../", no absolute paths, no duplicates, no extras.
        raise ValueError(
            f"{zip_path}: a model bundle holds exactly {WEIGHTS} and {CARD}, found {names}"
        )
    members = {info.filename: info for info in infos}
    for info, limit in ((members[CARD], MAX_CARD_BYTES), (members[WEIGHTS], MAX_WEIGHTS_BYTES)):
        if info.file_size > limit:
            raise ValueError(f"{zip_path}: {info.filename} is too large ({info.file_size} bytes)")
    return members


def _extract(zip_path: Path, bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one member to `target`, stopping at its declared size (a lying header is refused)."""
    written = 0
    with bundle.open(info) as source, open(target, "wb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            written += len(block)
            if written > info.file_size:
                raise ValueError(f"{zip_path}: {info.filename} is larger than its header says")
            out.write(block)


def _read_json_member(zip_path: Path, bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    with bundle.open(info) as source:
        raw = source.read(MAX_CARD_BYTES + 1)
    if len(raw) > MAX_CARD_BYTES:
        raise ValueError(f"{zip_path}: {info.filename} is too large")
    return parse_json(raw, f"{zip_path}: {info.filename}")
