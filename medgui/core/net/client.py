"""The client for a node, whichever protocol it speaks."""

from __future__ import annotations

from medgui.core.net.dicomweb import WebClient
from medgui.core.net.dimse import DimseClient
from medgui.core.net.nodes import Node


def client_for(node: Node, calling_ae: str) -> DimseClient | WebClient:
    """A `WebClient` for a DICOMweb node, else a `DimseClient` calling as `calling_ae`. Both
    offer echo, find_studies, find_series, find_instances, retrieve and send."""
    return WebClient(node) if node.is_web else DimseClient(node, calling_ae)
