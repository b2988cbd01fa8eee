"""Editor integrations: DaVinci Resolve (``resolve``) and the OpenTimelineIO bridge (``premiere_bridge``),
over one shared, editor-neutral marker package (``markers``)."""
