"""Report text: reports read in (SR, PDF, text, CSV), linked to their studies and stored in the
workspace; the findings read from them; search (no Qt, no torch)."""
