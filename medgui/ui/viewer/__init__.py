"""Slice views and their layout: image rendering, overlays, mouse and keys, cine, view actions."""
