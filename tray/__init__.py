"""The tray app (``avevents tray``, ``tray`` extra): the daemon's state in the tray, its control, and a
window for models, devices, jobs and settings. PySide6 is imported only by the modules that need it."""
