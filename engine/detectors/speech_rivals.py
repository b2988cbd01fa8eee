"""The tracks the AudioSet detector makes for the speech gate (``avevents.engine.speech_gate``); a leaf
without imports, so the gate needs no tagger code."""

# Hidden (never reported): the tagger's Speech family, and the voice sounds that are not speech (the
# families of these ontology branches).
HIDDEN_PREFIX = "~"  # no label starts so: the pipeline never reports these, --top never ranks them
TAGGER_SPEECH = HIDDEN_PREFIX + "speech (tagger)"
VOCAL_RIVALS = HIDDEN_PREFIX + "voice sounds other than speech"
RIVAL_BRANCHES = (
    "Laughter",
    "Respiratory sounds",
    "Crying, sobbing",
    "Screaming",
    "Sigh",
    "Groan",
    "Wail, moan",
    "Hiccup",
    "Burping, eructation",
)
