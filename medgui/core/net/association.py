"""One DIMSE association with a node, and errors that say which node refused what and why.

pynetdicom reports a failed association as a flag; the reason (the peer's A-ASSOCIATE-RJ, a
refused connection, a timeout) is only logged. Here it becomes an `ArchiveError` naming the
node: the rejection's source and reason are read from the PDU itself, and a connection that
never opened is tried once more with a plain socket to learn the system's reason.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.pdu import A_ASSOCIATE_RJ
from pynetdicom.status import code_to_category

from medgui.core.net.nodes import ArchiveError, Node

# pynetdicom logs every identifier (names, IDs, dates) at debug level: no PHI in logs.
logging.getLogger("pynetdicom").setLevel(logging.WARNING)

DEFAULT_TIMEOUT_S = 10.0
PENDING = (0xFF00, 0xFF01)  # a C-FIND match, or a C-GET/C-MOVE sub-operation done
CONNECT_TIMEOUT_S = 5.0  # a node that is down is reported within this


def tls_context(node: Node) -> ssl.SSLContext:
    """A client context that verifies the peer's certificate (and its host name)."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=node.ca_file or None)


def status_text(status, assoc: Association | None = None) -> str:
    """A DIMSE status as words: `0xA700 (Failure)` and the peer's error comment, if any. No
    status means the archive closed the association without answering (Orthanc does that to
    a calling AE title it does not know) or did not answer within the timeout."""
    code = int(getattr(status, "Status", -1))
    if code < 0:
        ours = f" (does it accept our AE title {assoc.requestor.ae_title!r}?)" if assoc else ""
        return f"no answer: the archive closed the association or timed out{ours}"
    comment = str(status.get("ErrorComment", "") or "")
    return f"status 0x{code:04X} ({code_to_category(code)})" + (f": {comment}" if comment else "")


def _connection_problem(node: Node, timeout_s: float) -> str | None:
    """Why no connection opens to `node` (refused, timed out, unknown host, a TLS handshake
    that failed: an untrusted certificate, a peer that does not speak TLS), or None."""
    try:
        with socket.create_connection((node.host, node.port), timeout=timeout_s) as plain:
            if node.tls:
                tls_context(node).wrap_socket(plain, server_hostname=node.host).close()
            return None
    except ssl.SSLCertVerificationError as error:
        return f"TLS: certificate verify failed, {error.verify_message}; is its CA file set?"
    except ssl.SSLError as error:
        return f"TLS handshake failed: {error.reason or error}"
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except OSError as error:
        return error.strerror or str(error)


@contextmanager
def open_association(
    node: Node,
    calling_ae: str,
    contexts: list[tuple[str, list[str] | None]],
    *,
    roles: list | None = None,
    handlers: list | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Iterator[Association]:
    """An established association with `node` offering `contexts` (abstract syntax, transfer
    syntaxes or None for the defaults); released (or aborted on error) when the block ends."""
    ae = AE(ae_title=calling_ae)
    ae.dimse_timeout = ae.network_timeout = timeout_s
    # An archive answers an association request in milliseconds: a node that is down or hung
    # is reported within CONNECT_TIMEOUT_S, however long a query may take once it answers.
    ae.acse_timeout = ae.connection_timeout = min(CONNECT_TIMEOUT_S, timeout_s)
    for abstract, syntaxes in contexts:
        if syntaxes:
            ae.add_requested_context(abstract, syntaxes)
        else:
            ae.add_requested_context(abstract)
    rejection: list[A_ASSOCIATE_RJ] = []

    def on_pdu(event) -> None:
        if isinstance(event.pdu, A_ASSOCIATE_RJ):
            rejection.append(event.pdu)

    tls = (tls_context(node), node.host) if node.tls else None
    start = time.monotonic()
    try:
        assoc = ae.associate(
            node.host,
            node.port,
            ae_title=node.ae_title,
            ext_neg=roles or None,
            evt_handlers=[(evt.EVT_PDU_RECV, on_pdu), *(handlers or [])],
            tls_args=tls,
        )
    except (OSError, ssl.SSLError) as error:
        raise ArchiveError(f"{node.label()}: cannot connect ({error})") from error
    if not assoc.is_established:
        if rejection:
            pdu = rejection[0]
            raise ArchiveError(
                f"{node.label()}: association rejected by the {pdu.source_str} "
                f"({pdu.reason_str}); check the called AE title {node.ae_title!r} and that "
                f"the archive knows our AE title {calling_ae!r}"
            )
        if time.monotonic() - start >= ae.acse_timeout:
            raise ArchiveError(
                f"{node.label()}: no answer to the association request within {ae.acse_timeout:g} s"
            )
        reason = _connection_problem(node, ae.connection_timeout)
        if reason is None:
            raise ArchiveError(
                f"{node.label()}: the connection opened but no association was made "
                "(the peer aborted it or is not a DICOM service)"
            )
        raise ArchiveError(f"{node.label()}: cannot connect ({reason})")
    try:
        yield assoc
    except BaseException:
        assoc.abort()
        raise
    else:
        if assoc.is_established:
            assoc.release()


def require_context(assoc: Association, node: Node, abstract: str, what: str) -> None:
    """ArchiveError unless the peer accepted `abstract` (it does not offer that service)."""
    if not any(cx.abstract_syntax == abstract for cx in assoc.accepted_contexts):
        raise ArchiveError(f"{node.label()}: the archive does not offer {what}")
