"""Where and how models run: the device choice and proposals from inference."""
