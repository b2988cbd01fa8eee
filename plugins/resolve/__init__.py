"""DaVinci Resolve integration: "Detect events" puts labelled markers on the current timeline.

Everything Resolve's own Python imports from here (``rates``, ``scope``, ``markers``, ``palette``,
``link``, ``app``, ``ui``, ``entry``) uses the standard library only: Resolve's interpreter has no grpcio
or NumPy. Detection itself runs in avevents' interpreter (``worker``), reached over JSON lines on a
subprocess's pipes, or directly when the client is importable (external scripting, ``external``).
"""
