"""Archive nodes: who medgui talks to, how they are named on the command line, and where the
list is kept.

A node is a DIMSE peer (called AE title, host, port, optionally TLS) or a DICOMweb service (a
base URL, with basic or bearer authentication). The list and medgui's own calling AE title are
one JSON file in the user's data folder, written atomically. Passwords and tokens are never
written there: this machine has no keyring library, so a secret lives for the session only (the
dialog asks for it) or comes from the environment (`MEDGUI_PACS_SECRET`) for scripts.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from medgui.core.io.index import data_dir
from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json

DEFAULT_CALLING_AE = "MEDGUI"
DEFAULT_LISTENER_PORT = 11112
AUTH_KINDS = ("none", "basic", "bearer")
SECRET_VARIABLE = "MEDGUI_PACS_SECRET"
_FORMAT = "pacs-nodes"
# PS3.5 6.2: an AE title is 1-16 characters of the default repertoire, no backslash or control.
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")


class ArchiveError(ValueError):
    """A node could not do what was asked; the message names the node and the reason."""


def check_ae_title(title: str, what: str = "AE title") -> str:
    """`title` stripped, or ValueError saying why it is not a valid AE title."""
    stripped = title.strip()
    if not _AE_TITLE.match(stripped):
        raise ValueError(
            f"{what} {title!r} is not valid: 1 to 16 printable ASCII characters, no backslash"
        )
    return stripped


@dataclass(frozen=True)
class Node:
    """One archive: a DIMSE peer (`ae_title`, `host`, `port`) or a DICOMweb service (`url`)."""

    name: str
    ae_title: str = ""
    host: str = ""
    port: int = 0
    url: str = ""
    tls: bool = False  # DIMSE over TLS (DICOMweb takes it from the https:// scheme)
    ca_file: str = ""  # certificates to verify the peer with ("" = the system's)
    auth: str = "none"  # DICOMweb: none | basic | bearer
    username: str = ""
    # The secret is never saved (see the module's docstring); compare=False keeps it out of ==.
    secret: str = field(default="", repr=False, compare=False)

    @property
    def is_web(self) -> bool:
        return bool(self.url)

    @property
    def address(self) -> str:
        """Where it is, as the command line writes it (no secret)."""
        if self.is_web:
            return self.url
        scheme = "dicoms" if self.tls else "dicom"
        return f"{scheme}://{self.ae_title}@{self.host}:{self.port}"

    def label(self) -> str:
        """The node for messages: its name and where it is."""
        return self.address if self.name == self.address else f"{self.name} ({self.address})"

    def validated(self) -> Node:
        """This node, checked: ValueError naming it and what is wrong."""
        if not self.name.strip():
            raise ValueError("a node needs a name")
        if self.auth not in AUTH_KINDS:
            raise ValueError(f"node {self.name}: authentication must be one of {AUTH_KINDS}")
        if self.is_web:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"node {self.name}: {self.url!r} is not an http(s):// URL")
            return self
        check_ae_title(self.ae_title, f"node {self.name}: called AE title")
        if not self.host.strip():
            raise ValueError(f"node {self.name}: no host")
        if not 0 < int(self.port) < 65536:
            raise ValueError(f"node {self.name}: port {self.port} is not 1-65535")
        return self

    def with_secret(self, secret: str | None = None) -> Node:
        """This node with its password or token: `secret`, else $MEDGUI_PACS_SECRET, else none."""
        value = secret if secret is not None else os.environ.get(SECRET_VARIABLE, "")
        return replace(self, secret=value or self.secret)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("secret")
        return data

    @classmethod
    def from_json(cls, data: dict) -> Node:
        known = {f.name for f in fields(cls)} - {"secret"}
        return cls(**{k: v for k, v in data.items() if k in known}).validated()


_DICOM_ADDRESS = re.compile(r"^(dicoms?)://([^@]+)@(\[[^\]]+\]|[^:/]+):(\d+)/?$")


def parse_address(text: str, name: str | None = None) -> Node:
    """A node from `dicom://CALLED_AET@host:port` (`dicoms://` for TLS) or an http(s) URL."""
    text = text.strip()
    match = _DICOM_ADDRESS.match(text)
    if match:
        scheme, aet, host, port = match.groups()
        node = Node(name or text, ae_title=aet, host=host.strip("[]"), port=int(port))
        return replace(node, tls=scheme == "dicoms").validated()
    if text.startswith(("http://", "https://")):
        return Node(name or text, url=text.rstrip("/")).validated()
    raise ValueError(
        f"{text!r} is not a node: write dicom://CALLED_AET@host:port, an http(s):// DICOMweb "
        "URL, or the name of a saved node"
    )


@dataclass
class ArchiveSettings:
    """The saved nodes, medgui's calling AE title and its storage SCP's port."""

    nodes: list[Node] = field(default_factory=list)
    calling_ae: str = DEFAULT_CALLING_AE
    listener_port: int = DEFAULT_LISTENER_PORT

    def node(self, text: str) -> Node:
        """The saved node named `text`, or the node `text` writes as an address."""
        for node in self.nodes:
            if node.name == text:
                return node
        try:
            return parse_address(text)
        except ValueError as error:
            saved = ", ".join(n.name for n in self.nodes) or "none saved"
            raise ValueError(f"{error} (saved nodes: {saved})") from error

    def put(self, node: Node) -> None:
        """Add `node`, or replace the saved one of the same name."""
        node = node.validated()
        self.nodes = [n for n in self.nodes if n.name != node.name] + [node]

    def remove(self, name: str) -> None:
        self.nodes = [n for n in self.nodes if n.name != name]


def settings_path() -> Path:
    """The nodes file in medgui's data folder (MEDGUI_DATA_DIR moves it, for tests)."""
    return data_dir() / "pacs-nodes.json"


def load_settings(path: str | Path | None = None) -> ArchiveSettings:
    """The saved settings (defaults when there is no file); ValueError naming a bad file."""
    path = Path(path) if path is not None else settings_path()
    if not path.exists():
        return ArchiveSettings()
    data = read_json(path, _FORMAT)
    try:
        nodes = [Node.from_json(item) for item in data.get("nodes", [])]
        calling = check_ae_title(str(data.get("calling_ae", DEFAULT_CALLING_AE)), "calling AE")
        port = int(data.get("listener_port", DEFAULT_LISTENER_PORT))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from error
    return ArchiveSettings(nodes, calling, port)


def save_settings(settings: ArchiveSettings, path: str | Path | None = None) -> Path:
    """Write `settings` atomically (no secrets: `Node.to_json` leaves them out)."""
    path = Path(path) if path is not None else settings_path()
    check_ae_title(settings.calling_ae, "calling AE title")
    data = {
        "format": f"medgui-{_FORMAT}",
        "calling_ae": settings.calling_ae,
        "listener_port": int(settings.listener_port),
        "nodes": [node.to_json() for node in settings.nodes],
    }
    return atomic_write_json(path, data)
