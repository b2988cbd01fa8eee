#!/usr/bin/env python3
"""Stream-parse a zip from stdin (local headers only) and extract entries whose
name matches a regex. usage: ... | stream_zip_extract.py REGEX OUTDIR"""

import os
import re
import struct
import sys
import zlib
from pathlib import Path

pat = re.compile(sys.argv[1])
out = sys.argv[2]
f = sys.stdin.buffer


def rd(n):
    b = f.read(n)
    while len(b) < n:
        c = f.read(n - len(b))
        if not c:
            break
        b += c
    return b


n_all = n_hit = 0
while True:
    sig = rd(4)
    if sig != b"PK\x03\x04":
        break
    h = rd(26)
    ver, flag, meth, t, d, crc, csz, usz, nl, xl = struct.unpack("<HHHHHIIIHH", h)
    name = rd(nl).decode("utf-8", "replace")
    extra = rd(xl)
    if csz == 0xFFFFFFFF:  # zip64
        i = 0
        while i < len(extra):
            hid, hsz = struct.unpack("<HH", extra[i : i + 4])
            if hid == 1:
                usz, csz = struct.unpack("<QQ", extra[i + 4 : i + 20])
                break
            i += 4 + hsz
    if flag & 8:
        sys.exit("data descriptor entries not supported: " + name)
    n_all += 1
    if pat.search(name):
        data = rd(csz)
        if meth == 8:
            data = zlib.decompress(data, -15)
        dst = os.path.join(out, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        Path(dst).write_bytes(data)
        n_hit += 1
    else:
        left = csz
        while left:
            c = f.read(min(left, 1 << 20))
            if not c:
                break
            left -= len(c)
print(f"entries={n_all} extracted={n_hit}", file=sys.stderr)
