"""Media probing and decoding with PyAV, as generators."""
