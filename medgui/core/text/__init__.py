"""Report text: reading reports in (SR, PDF, text, CSV) and the findings read from them
(no Qt, no torch)."""
