"""PySide6 tray application (``tray`` extra). Built by the tray issue."""
