"""Splicing elements into a user's XML bytes: every insertion rule gives the input back, byte for byte,
once the inserted element and the whitespace before it are removed."""

from __future__ import annotations

import pytest

from avevents.core.errors import TimelineUnreadable
from avevents.plugins.premiere_bridge import xml_edit

DOC = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n<!DOCTYPE xmeml>\r\n<root a=\'1\'>\r\n\t<clip>\r\n'
    b'\t\t<name>A &amp; B</name>\r\n\t\t<file id="f"/>\r\n\t\t<logginginfo/>\r\n\t</clip>\r\n'
    b"\t<empty></empty>\r\n\t<closed />\r\n</root>\r\n"
)


def _remove_all(data: bytes, tag: str) -> bytes:
    doc = xml_edit.parse(data, "t")
    return xml_edit.apply(data, [xml_edit.removal(doc, e) for e in doc.root.iter(tag)])


@pytest.mark.parametrize("where", ["after", "before", "end", "empty", "self-closing"])
def test_each_insertion_is_undone_by_removing_it(where):
    doc = xml_edit.parse(DOC, "t")
    clip = doc.root.child("clip")
    parent, kwargs = {
        "after": (clip, {"after": clip.child("file")}),
        "before": (clip, {"before": clip.child("logginginfo")}),
        "end": (clip, {}),
        "empty": (doc.root.child("empty"), {}),
        "self-closing": (doc.root.child("closed"), {}),
    }[where]
    fragments = ["<mark>\n\t<in>1</in>\n</mark>", "<mark>\n\t<in>2 &lt; 3</in>\n</mark>"]
    out = xml_edit.apply(DOC, xml_edit.insertion(doc, parent, fragments, **kwargs))
    again = xml_edit.parse(out, "t")
    marks = list(again.root.iter("mark"))
    assert [m.child_text("in") for m in marks] == ["1", "2 < 3"]
    assert all(m.parent.tag == parent.tag for m in marks)
    assert b"\n" not in out.replace(b"\r\n", b"")  # the file's CRLF line endings kept
    back = _remove_all(out, "mark")
    if where == "self-closing":
        assert back == DOC.replace(b"<closed />", b"<closed ></closed>")  # the same element in canonical XML
    else:
        assert back == DOC


def test_new_lines_take_the_indentation_of_their_neighbours():
    doc = xml_edit.parse(DOC, "t")
    clip = doc.root.child("clip")
    out = xml_edit.apply(DOC, xml_edit.insertion(doc, clip, ["<m>\n\t<in>1</in>\n</m>"], after=clip.child("file")))
    assert b'<file id="f"/>\r\n\t\t<m>\r\n\t\t\t<in>1</in>\r\n\t\t</m>\r\n\t\t<logginginfo/>' in out


def test_offsets_and_text_are_those_of_the_file():
    doc = xml_edit.parse(DOC, "t")
    clip = doc.root.child("clip")
    assert DOC[clip.start : clip.end].startswith(b"<clip>") and DOC[clip.start : clip.end].endswith(b"</clip>")
    assert clip.child_text("name") == "A & B"
    closed = doc.root.child("closed")
    assert DOC[closed.start : closed.end] == b"<closed />" and closed.close == -1


def test_other_encodings_are_written_in_their_own():
    data = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\n\t<b>é</b>\n</a>\n'.encode("latin-1")
    doc = xml_edit.parse(data, "t")
    assert doc.encoding == "iso-8859-1" and doc.root.child_text("b") == "é"
    out = xml_edit.apply(data, xml_edit.insertion(doc, doc.root, ["<c>ü €</c>"], after=doc.root.child("b")))
    assert "<c>ü &#8364;</c>".encode("latin-1") in out  # what latin-1 cannot hold becomes a reference


def test_broken_xml_is_one_line():
    with pytest.raises(TimelineUnreadable, match=r"^x.xml: not well-formed XML \(.*line 1"):
        xml_edit.parse(b"<a><b></a>", "x.xml")
