"""DaVinci Resolve integration ("Detect events" markers). Built by the Resolve plugin issue."""
