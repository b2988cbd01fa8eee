"""Edit a user's XML file by inserting and removing elements in its bytes, leaving every other byte as it was.

An XML library's tree would re-serialise the whole document (attribute quoting, entities, empty elements,
the DOCTYPE, whitespace), and the timeline adapters drop what they do not model. Here expat (standard
library) reports where each element starts and ends in the file's bytes, and edits splice marker
elements in at those offsets. The insertion rules are chosen so that removing an inserted element
together with the whitespace run just before it gives back the original bytes exactly:

- after a sibling ``A``: insert ``ws(A) + element`` at the end of ``A`` (the new element gets ``A``'s
  indentation, and what followed ``A`` keeps its own whitespace);
- before a sibling ``S``: insert ``element + ws(S)`` at the start of ``S``;
- into an element with no children: before its end tag ``element + ws(end tag)`` preceded by one
  indentation step; a self-closing ``<x/>`` becomes ``<x>element</x>`` (the same in canonical XML once the
  element is gone again).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from avevents.core.errors import TimelineUnreadable

WHITESPACE = b" \t\r\n"


@dataclass(eq=False)
class Element:
    """One element of the document: its tag, attributes, direct text and where it lies in the bytes."""

    tag: str
    attrs: dict[str, str]
    start: int  # offset of its '<'
    parent: Element | None = field(default=None, repr=False)
    children: list[Element] = field(default_factory=list, repr=False)
    text: str = ""  # its direct character data
    end: int = -1  # offset just after its last '>'
    close: int = -1  # offset of its end tag's '<' (-1: self-closing)

    def child(self, tag: str) -> Element | None:
        """The first direct child named ``tag``."""
        return next((c for c in self.children if c.tag == tag), None)

    def child_text(self, tag: str, default: str = "") -> str:
        found = self.child(tag)
        return found.text.strip() if found is not None else default

    def all(self, tag: str) -> list[Element]:
        """The direct children named ``tag``."""
        return [c for c in self.children if c.tag == tag]

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """This element and every element under it, in document order (only those named ``tag``)."""
        stack = [self]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                yield node
            stack.extend(reversed(node.children))

    def ancestor(self, tag: str) -> Element | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


@dataclass
class XmlDocument:
    """A parsed document: its bytes, root element and encoding."""

    data: bytes
    root: Element
    encoding: str

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding, errors="xmlcharrefreplace")

    def newline(self) -> bytes:
        return b"\r\n" if b"\r\n" in self.data[:4096] else b"\n"


def parse(data: bytes, what: str) -> XmlDocument:
    """Parse ``data`` (``what`` names it in errors) into elements with their byte offsets."""
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    # No external entities or DTDs are fetched; parameter entities are not expanded.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    encoding = ["utf-8"]
    stack: list[Element] = []
    roots: list[Element] = []

    def declared(_version, enc, _standalone):
        if enc:
            encoding[0] = enc.lower()

    def start(tag, attrs):
        node = Element(tag, attrs, parser.CurrentByteIndex, stack[-1] if stack else None)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag):
        node = stack.pop()
        at = parser.CurrentByteIndex
        closing = b"</" + tag.encode(encoding[0], errors="replace")
        after = data[at + len(closing) : at + len(closing) + 1]
        if data.startswith(closing, at) and after in (b">", b" ", b"\t", b"\r", b"\n"):
            node.close = at
            node.end = data.index(b">", at) + 1
        else:  # self-closing: expat reports the end just after '/>'
            node.end = at

    def text(chunk):
        if stack:
            stack[-1].text += chunk

    parser.XmlDeclHandler = declared
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise TimelineUnreadable(f"{what}: not well-formed XML ({exc})") from None
    if not roots:
        raise TimelineUnreadable(f"{what}: no XML element in the file")
    return XmlDocument(data, roots[0], encoding[0])


def whitespace_before(data: bytes, offset: int) -> int:
    """Where the run of whitespace that ends at ``offset`` starts."""
    while offset > 0 and data[offset - 1] in WHITESPACE:
        offset -= 1
    return offset


def indentation_step(ws: bytes) -> bytes:
    """One indentation step in the style of ``ws`` (a tab where the file indents with tabs)."""
    return b"\t" if b"\t" in ws else b"  "


def line_indent(ws: bytes) -> bytes:
    """The indentation of the last line in a whitespace run."""
    return re.split(rb"\r?\n", ws)[-1]


@dataclass
class Splice:
    """Replace ``length`` bytes at ``offset`` with ``insert``."""

    offset: int
    length: int
    insert: bytes = b""


def apply(data: bytes, splices: list[Splice]) -> bytes:
    """``data`` with the (non-overlapping) splices applied."""
    out, at = [], 0
    for s in sorted(splices, key=lambda s: (s.offset, s.length)):
        if s.offset < at:
            raise ValueError("overlapping edits")
        out += [data[at : s.offset], s.insert]
        at = s.offset + s.length
    out.append(data[at:])
    return b"".join(out)


def removal(doc: XmlDocument, element: Element) -> Splice:
    """The splice that removes ``element`` and the whitespace just before it."""
    begin = whitespace_before(doc.data, element.start)
    return Splice(begin, element.end - begin)


def insertion(doc: XmlDocument, parent: Element, fragments: list[str], after=None, before=None) -> list[Splice]:
    """Splices that put ``fragments`` (serialised elements, without surrounding whitespace, in order) into
    ``parent``: after its child ``after``, else before its child ``before``, else at its end. Each
    fragment may hold ``\\n`` for its own lines; they are re-indented to the new element's indentation."""
    data = doc.data
    newline = doc.newline()
    if after is not None:
        ws = data[whitespace_before(data, after.start) : after.start]
        body = b"".join(ws + _indented(doc, f, line_indent(ws), ws) for f in fragments)
        return [Splice(after.end, 0, body)]
    if before is not None:
        ws = data[whitespace_before(data, before.start) : before.start]
        return [Splice(before.start, 0, b"".join(_indented(doc, f, line_indent(ws), ws) + ws for f in fragments))]
    if parent.close < 0:  # <x .../> -> <x ...>fragments</x>
        slash = data.rindex(b"/", parent.start, parent.end)
        body = b"".join(_indented(doc, f, b"", newline) for f in fragments)
        return [Splice(slash, parent.end - slash, b">" + body + b"</" + doc.encode(parent.tag) + b">")]
    ws = data[whitespace_before(data, parent.close) : parent.close]
    step = indentation_step(ws) if b"\n" in ws else b""
    inner = line_indent(ws) + step
    return [Splice(parent.close, 0, b"".join(step + _indented(doc, f, inner, ws) + ws for f in fragments))]


def _indented(doc: XmlDocument, fragment: str, indent: bytes, ws: bytes) -> bytes:
    """``fragment``'s lines after the first indented by ``indent`` plus one step per leading tab of the line."""
    lines = fragment.split("\n")
    if len(lines) == 1:
        return doc.encode(fragment)
    newline = b"\r\n" if b"\r\n" in ws else doc.newline()
    step = indentation_step(indent + ws)
    out = [doc.encode(lines[0])]
    for line in lines[1:]:
        depth = len(line) - len(line.lstrip("\t"))
        out.append(indent + step * depth + doc.encode(line.lstrip("\t")))
    return newline.join(out)


def text(value: str) -> str:
    """``value`` escaped as element text."""
    return escape(value)


def attribute(value: str) -> str:
    """``value`` escaped for a double-quoted attribute."""
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
