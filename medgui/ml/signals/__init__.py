"""Learning on waveforms: the `beats` task (beat detection and classification on ECGs)."""
