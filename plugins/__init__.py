"""Editor integrations: DaVinci Resolve (``resolve``) and the OpenTimelineIO bridge (``premiere_bridge``)."""
