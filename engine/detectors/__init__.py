"""Built-in detectors (no download): one detector per module, registered in ``registry``."""
