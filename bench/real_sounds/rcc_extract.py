#!/usr/bin/env python3
"""Minimal Qt .rcc (binary resource) extractor. usage: rcc_extract.py file.rcc outdir"""

import os
import struct
import sys
import zlib
from pathlib import Path


def main(path, out):
    b = Path(path).read_bytes()
    assert b[:4] == b"qres", path
    ver, tree, data, names = struct.unpack(">IIII", b[4:20])
    nodesz = 14 if ver == 1 else 22

    def name(off):
        p = names + off
        (ln,) = struct.unpack(">H", b[p : p + 2])
        return b[p + 6 : p + 6 + 2 * ln].decode("utf-16-be")

    def walk(idx, prefix):
        p = tree + idx * nodesz
        noff, flags = struct.unpack(">IH", b[p : p + 6])
        nm = name(noff) if idx else ""
        if flags & 2:
            cnt, first = struct.unpack(">II", b[p + 6 : p + 14])
            for c in range(first, first + cnt):
                walk(c, os.path.join(prefix, nm))
        else:
            (doff,) = struct.unpack(">I", b[p + 10 : p + 14])
            q = data + doff
            (sz,) = struct.unpack(">I", b[q : q + 4])
            blob = b[q + 4 : q + 4 + sz]
            if flags & 1:
                blob = zlib.decompress(blob[4:])
            elif flags & 4:
                import zstandard

                blob = zstandard.decompress(blob)
            dst = os.path.join(out, prefix, nm)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            Path(dst).write_bytes(blob)

    walk(0, "")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
