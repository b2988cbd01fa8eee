"""The ``avevents`` command line."""
