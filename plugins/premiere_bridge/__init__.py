"""OpenTimelineIO bridge for Premiere Pro and other editors. Built by the OTIO bridge issue."""
