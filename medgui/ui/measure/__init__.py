"""Measurement tools on the views: the shared context, the items drawn on the image, the tools and
the side panel.
"""
