"""The OpenTimelineIO bridge: read an editor's exported timeline (FCP7 XML from Premiere Pro, FCPXML,
CMX 3600 EDL, .otio/.otioz), detect events in exactly the media each clip uses, and write the same
timeline back with markers added and nothing else changed (``avevents otio``)."""
