"""The archive in the window: query, retrieve, send."""
