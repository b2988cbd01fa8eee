#!/usr/bin/env python3
"""Rebuild the realsounds folder from Debian packages.

usage: python3 tools/build.py fetch   --work WORK
       python3 tools/build.py convert --work WORK --out OUT
Needs: apt-get (download only, no root install), dpkg-deb, tar, ffmpeg, numpy.
"""

import argparse
import csv
import fnmatch
import hashlib
import os
import re
import subprocess
import sys
import wave
import zipfile
from pathlib import Path

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rcc_extract  # noqa: E402

SR = 32000
SILENCE = 2.0 / 32768  # |x| at or below ~2 LSB of 16-bit = digital silence
PAD = int(0.05 * SR)
MIN_S, MAX_S = 0.2, 20.0


def read_spec():
    rows = []
    with open(os.path.join(HERE, "spec.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            pkg, src, label, real, note = line.rstrip("\n").split("\t")
            rows.append(dict(pkg=pkg, src=src, label=label, real=real, note=note))
    return rows


def sh(cmd, **kw):
    print("+", cmd if isinstance(cmd, str) else " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, shell=isinstance(cmd, str), **kw)


def fetch(work):
    debs = os.path.join(work, "debs")
    os.makedirs(debs, exist_ok=True)
    pkgs = sorted({r["pkg"] for r in read_spec()})
    for pkg in pkgs:
        dest = os.path.join(work, "x", pkg)
        if os.path.exists(os.path.join(dest, ".version")):
            continue
        sh(["apt-get", "download", pkg], cwd=debs)
        deb = next(os.path.join(debs, d) for d in os.listdir(debs) if d.startswith(pkg + "_"))
        ver = subprocess.run(
            ["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        os.makedirs(dest, exist_ok=True)
        if pkg == "0ad-data":
            # public.zip is 3.2 GB uncompressed: stream it and keep only audio/*
            zp = "usr/share/games/0ad/mods/public/public.zip"
            sh(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{dest}' ./usr/share/doc/0ad-data/copyright")
            sh(
                f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO ./{zp} | "
                f"python3 '{HERE}/stream_zip_extract.py' '^audio/.*\\.(ogg|wav)$' '{dest}/{zp}'"
            )
        else:
            sh(["dpkg-deb", "-x", deb, dest])
        Path(dest, ".version").write_text(ver + "\n")
        os.remove(deb)


def licence_for(work, pkg, path):
    """DEP-5 best effort: last Files: stanza whose pattern matches a suffix of the path."""
    docs = os.path.join(work, "x", pkg, "usr/share/doc")
    cands = [os.path.join(docs, d, "copyright") for d in (os.listdir(docs) if os.path.isdir(docs) else [])]
    cands = [c for c in cands if os.path.exists(c)]
    own = os.path.join(docs, pkg, "copyright")
    c = own if os.path.exists(own) else (cands[0] if cands else None)
    if not c:
        return "unknown (no copyright file)"
    text = Path(c).read_text(encoding="utf-8", errors="replace")
    stanzas = re.split(r"\n\s*\n", text)
    # Paths in DEP-5 refer to the upstream tree, not the installed one, so match fuzzily:
    # a pattern (optionally with leading dirs stripped, keeping >= 2 components) must match
    # some suffix of the installed path; the most specific match wins (ties: the later one).
    best, best_score = None, -1
    parts = path.split("/")
    for st in stanzas:
        m = re.search(r"^Files:(.*(?:\n[ \t].*)*)", st, re.M)
        lm = re.search(r"^License:[ \t]*(.*)", st, re.M)
        if not m or not lm:
            continue
        for pat in m.group(1).split():
            if pat.startswith("debian/"):
                continue
            pp = pat.strip("/").split("/")
            for k in range(len(pp)):
                sub = pp[k:]
                if k and len(sub) < 2:
                    break
                if any(fnmatch.fnmatch("/".join(parts[j:]), "/".join(sub)) for j in range(len(parts))):
                    score = sum(1 for c in sub if c not in ("*", "")) + (0.5 if k == 0 else 0)
                    if score >= best_score:
                        best, best_score = lm.group(1).strip() or "see copyright", score
                    break
    if best is None:
        lics = re.findall(r"^License:[ \t]*(\S.*)", text, re.M)
        best = lics[0] if lics else f"see /usr/share/doc/{pkg}/copyright (non-DEP-5)"
    return best


_rcc_done = set()


def resolve(work, pkg, src):
    root = os.path.join(work, "x", pkg)
    if "::" not in src:
        return os.path.join(root, src)
    arch, member = src.split("::", 1)
    apath = os.path.join(root, arch)
    if os.path.isdir(apath):
        return os.path.join(apath, member)
    cache = os.path.join(work, "unpacked", pkg, arch)
    out = os.path.join(cache, member)
    if os.path.exists(out):
        return out
    if arch.endswith(".rcc"):
        if apath not in _rcc_done:
            rcc_extract.main(apath, cache)
            _rcc_done.add(apath)
    else:
        with zipfile.ZipFile(apath) as z:
            os.makedirs(os.path.dirname(out), exist_ok=True)
            Path(out).write_bytes(z.read(member))
    return out


def decode(path):
    p = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(p.stdout, dtype="<f4")


def trim(x):
    nz = np.flatnonzero(np.abs(x) > SILENCE)
    if nz.size == 0:
        return x[:0]
    a = max(0, nz[0] - PAD)
    b = min(len(x), nz[-1] + 1 + PAD)
    return x[a:b]


def slug(s):
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def convert(work, out):
    os.makedirs(out, exist_ok=True)
    rows_out, seen, skipped, used = [], {}, [], set()
    for r in read_spec():
        pkg = r["pkg"]
        try:
            ver = Path(work, "x", pkg, ".version").read_text().strip()
        except OSError:
            ver = "unknown"
        try:
            path = resolve(work, pkg, r["src"])
            x = decode(path)
        except Exception as e:
            skipped.append((r["src"], f"unreadable: {e}"))
            continue
        x = trim(x)
        dur = len(x) / SR
        if dur < MIN_S or dur > MAX_S:
            skipped.append((r["src"], f"duration {dur:.2f}s outside [{MIN_S:.1f}, {MAX_S:.0f}]"))
            continue
        pcm = (np.clip(x, -1, 1) * 32767).round().astype("<i2")
        h = hashlib.md5(pcm.tobytes()).hexdigest()
        if h in seen:
            skipped.append((r["src"], "duplicate of " + seen[h]))
            continue
        member = r["src"].split("::")[-1]
        stem = os.path.splitext(os.path.basename(member))[0]
        name = "{}__{}__{}.wav".format(slug(r["label"]), pkg, re.sub(r"[^A-Za-z0-9._-]+", "-", stem))
        if name in used:  # same basename in another folder (e.g. hedgewars voice packs)
            parent = os.path.basename(os.path.dirname(member))
            name = "{}__{}__{}-{}.wav".format(
                slug(r["label"]),
                pkg,
                re.sub(r"[^A-Za-z0-9._-]+", "-", parent),
                re.sub(r"[^A-Za-z0-9._-]+", "-", stem),
            )
        used.add(name)
        seen[h] = name
        with wave.open(os.path.join(out, name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SR)
            w.writeframes(pcm.tobytes())
        orig = "/" + r["src"].replace("::", "!/")
        lic_path = member if "::" in r["src"] else r["src"]
        rows_out.append(
            dict(
                file=name,
                audioset_label=r["label"],
                package=pkg,
                package_version=ver,
                original_path=orig,
                licence=licence_for(work, pkg, lic_path),
                duration_s=f"{dur:.3f}",
                real_recording="{} ({})".format(r["real"], r["note"]),
            )
        )
    with open(os.path.join(out, "MANIFEST.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows_out[0].keys()))
        w.writeheader()
        w.writerows(rows_out)
    with open(os.path.join(out, "SKIPPED.txt"), "w", encoding="utf-8") as f:
        for s, why in skipped:
            f.write(f"{s}\t{why}\n")
    print(f"wrote {len(rows_out)} files, skipped {len(skipped)}", file=sys.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["fetch", "convert"])
    ap.add_argument("--work", default="work")
    ap.add_argument("--out", default=".")
    a = ap.parse_args()
    fetch(a.work) if a.step == "fetch" else convert(a.work, a.out)
