"""What an event looks like as a marker in every editor (standard library only: Resolve's own Python
imports it too): the palette and each editor's colours (``palette``), the marker's name and note
(``text``), frame rates and timecode (``rates``), and the one marker description with its ownership tags
(``spec``) that the Resolve plugin and the OTIO bridge each turn into their editor's object."""
