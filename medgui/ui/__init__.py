"""Qt widgets: thin views over `medgui.core` state. Never imports torch."""
