"""medgui's storage SCP: what C-MOVE sends to, and the optional listener (`medgui pacs listen`).

Every instance that arrives goes through a `Landing` (checked, written atomically,
de-duplicated); the sender is told "cannot understand" (0xC000) for one that cannot be kept, and
"out of resources" (0xA700) once the receiver is cancelled, so that it stops sending.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification

from medgui.core.net.landing import InstanceRejected, Landing
from medgui.core.net.nodes import ArchiveError, check_ae_title

_CANNOT_UNDERSTAND = 0xC000
_OUT_OF_RESOURCES = 0xA700


def store_handler(landing: Landing, cancelled: Callable[[], bool] | None = None):
    """An EVT_C_STORE handler that keeps each instance in `landing`."""

    def on_store(event) -> int:
        if cancelled is not None and cancelled():
            return _OUT_OF_RESOURCES
        try:
            landing.accept(event.encoded_dataset(include_meta=True))
        except InstanceRejected:
            return _CANNOT_UNDERSTAND  # the reason is in landing.rejected
        return 0x0000

    return on_store


class StorageListener:
    """A storage SCP on `port` (0: any free port) while the `with` block runs."""

    def __init__(
        self,
        landing: Landing,
        ae_title: str,
        port: int,
        *,
        host: str = "",
        cancelled: Callable[[], bool] | None = None,
        ssl_context=None,
    ) -> None:
        self.landing, self.port, self.host = landing, port, host
        self.ae = AE(ae_title=check_ae_title(ae_title, "our AE title"))
        self.ae.require_called_aet = True  # a sender must address us by our AE title
        for context in AllStoragePresentationContexts:
            self.ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        self.ae.add_supported_context(Verification)
        self._handlers = [(evt.EVT_C_STORE, store_handler(landing, cancelled))]
        self._ssl = ssl_context
        self._server = None

    def __enter__(self) -> StorageListener:
        try:
            self._server = self.ae.start_server(
                (self.host, self.port),
                block=False,
                evt_handlers=self._handlers,
                ssl_context=self._ssl,
            )
        except OSError as error:
            why = "the port is in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise ArchiveError(f"cannot receive on port {self.port}: {why}") from error
        self.port = self._server.server_address[1]
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
