"""Result files: written atomically when they are regular files, written to (never renamed over) when they
are devices or FIFOs, followed when they are symlinks, checked before any analysis, and never leaving a
temp file behind. Also: one bad file among several on the command line does not stop the others."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading

import pytest

from avevents.cli.main import main as cli

from ..conftest import isolated_env


@pytest.fixture
def no_rename_over_specials(monkeypatch):
    """Whatever the code under test does, it cannot rename anything over a device or a FIFO: a rename
    onto one fails the test instead of replacing, say, /dev/null for the whole machine."""
    real_replace, real_rename = os.replace, os.rename

    def guarded(real):
        def rename(src, dst, *args, **kwargs):
            with_mode = os.stat(dst).st_mode if os.path.lexists(dst) else 0
            assert not (stat.S_ISCHR(with_mode) or stat.S_ISFIFO(with_mode)), f"renamed over {dst}"
            return real(src, dst, *args, **kwargs)

        return rename

    monkeypatch.setattr(os, "replace", guarded(real_replace))
    monkeypatch.setattr(os, "rename", guarded(real_rename))


class FifoReader:
    """Reads a FIFO to its end in a thread (opening a FIFO blocks until both ends are open)."""

    def __init__(self, path):
        self.path, self.data = path, b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def text(self, timeout: float = 20) -> str:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "nothing was written to the FIFO"
        return self.data.decode()


def _leftovers(folder, *keep: str) -> list[str]:
    return sorted(set(os.listdir(folder)) - set(keep))


def test_a_fifo_is_written_to_not_replaced(tmp_path, cut_clip, no_rename_over_specials):
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    assert cli(["detect", str(cut_clip.path), "--in-process", "-q", "--labels", "Scene cut", "--json", str(fifo)]) == 0
    data = json.loads(reader.text())
    assert len(data["events"]) == len(cut_clip.cuts)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _leftovers(tmp_path, "results.json") == []


def test_a_character_device_is_written_to_not_replaced(tmp_path, cut_clip, no_rename_over_specials):
    """/dev/null is only ever written to here; the fixture makes a rename over it fail the test first."""
    args = ["detect", str(cut_clip.path), "--in-process", "-q", "--labels", "Scene cut"]
    assert cli([*args, "--json", os.devnull, "--csv", os.devnull, "--otio", os.devnull]) == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_symlink_is_followed_and_stays_a_link(tmp_path, cut_clip, no_rename_over_specials):
    real = tmp_path / "real" / "events.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    dangling = tmp_path / "new.json"
    dangling.symlink_to(tmp_path / "real" / "made.json")  # its target does not exist yet
    args = ["detect", str(cut_clip.path), "--in-process", "-q", "--labels", "Scene cut"]
    assert cli([*args, "--csv", str(link), "--json", str(dangling)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("file,label,") and real.read_text().count("Scene cut") == len(cut_clip.cuts)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # an existing file keeps its permission bits
    assert dangling.is_symlink() and json.loads((tmp_path / "real" / "made.json").read_text())["events"]
    assert _leftovers(tmp_path, "real", "link.csv", "new.json") == []
    assert _leftovers(real.parent, "events.csv", "made.json") == []


def test_regular_files_keep_their_mode_and_new_ones_follow_the_umask(tmp_path):
    from avevents.core.output_files import write_file

    existing = tmp_path / "kept.json"
    existing.write_text("{}")
    os.chmod(existing, 0o604)
    old_umask = os.umask(0o027)
    try:
        write_file(existing, lambda fh: fh.write("[1]"))
        write_file(tmp_path / "new.json", lambda fh: fh.write("[2]"))
    finally:
        os.umask(old_umask)
    assert existing.read_text() == "[1]" and stat.S_IMODE(existing.stat().st_mode) == 0o604
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640  # 0666 less the umask, not 0600
    assert _leftovers(tmp_path, "kept.json", "new.json") == []


def test_a_failing_writer_leaves_the_old_file_and_no_temp_file(tmp_path):
    from avevents.core.output_files import write_file

    target = tmp_path / "events.json"
    target.write_text("previous")

    def half_then_fail(fh) -> None:
        fh.write("partial")
        raise RuntimeError("serialiser broke")

    with pytest.raises(RuntimeError, match="serialiser broke"):
        write_file(target, half_then_fail)
    with pytest.raises(RuntimeError):
        write_file(tmp_path / "never.json", half_then_fail)
    assert target.read_text() == "previous"
    assert _leftovers(tmp_path, "events.json") == []


def _must_not_analyse(monkeypatch):
    import avevents.engine.pipeline as pipeline

    def detect(*args, **kwargs):
        raise AssertionError("analysed although the output cannot be written")

    monkeypatch.setattr(pipeline, "detect", detect)


@pytest.mark.parametrize("where", ["missing/folder/r.json", "a-folder"])
def test_unwritable_outputs_are_refused_before_analysis(tmp_path, cut_clip, capsys, monkeypatch, where):
    (tmp_path / "a-folder").mkdir()
    _must_not_analyse(monkeypatch)
    target = tmp_path / where
    for flag in ("--json", "--csv", "--otio"):
        assert cli(["detect", str(cut_clip.path), "--in-process", "-q", flag, str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and str(target) in err and len(err.strip().splitlines()) == 1
    assert _leftovers(tmp_path, "a-folder") == [] and os.listdir(tmp_path / "a-folder") == []


def test_batch_out_that_cannot_be_written_is_refused_before_analysis(tmp_path, cut_clip, capsys, monkeypatch):
    _must_not_analyse(monkeypatch)
    (tmp_path / "a-file").write_text("not a folder")
    for out in (tmp_path / "a-file", tmp_path / "a-file" / "below"):
        assert cli(["detect", str(cut_clip.path), "--in-process", "-q", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and str(tmp_path / "a-file") in err and len(err.strip().splitlines()) == 1


def _without_root_rights() -> tuple[str, ...]:
    """A prefix that runs a command without the capabilities that let root write anywhere."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only to the command")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search")


def test_a_read_only_folder_is_refused_before_analysis(tmp_path, cut_clip):
    prefix = _without_root_rights()
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "avevents.cli.main", "detect", str(cut_clip.path), "--in-process",
             "-q", "--json", str(folder / "r.json")],
            env=isolated_env(tmp_path / "run", tmp_path / "cfg"),
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        os.chmod(folder, 0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and str(folder) in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert os.listdir(folder) == []


def test_one_bad_file_does_not_stop_the_others(tmp_path, cut_clip, capsys, monkeypatch):
    """A missing file, a damaged one and one that trips a bug are each reported in one line; the good
    file is still analysed and written; the exit status says something failed."""
    import avevents.engine.pipeline as pipeline

    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(cut_clip.path.read_bytes()[:2000])
    crashing = tmp_path / "crashing.mp4"
    shutil.copy(cut_clip.path, crashing)
    real_detect = pipeline.detect

    def detect(path, *args, **kwargs):
        if path == str(crashing):
            raise AttributeError("'NoneType' object has no attribute 'seek'")  # as damaged media once did
        return real_detect(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "detect", detect)
    out = tmp_path / "r.json"
    files = [tmp_path / "missing.mp4", damaged, crashing, cut_clip.path]
    assert cli(["detect", *map(str, files), "--in-process", "-q", "--labels", "Scene cut", "--json", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert [str(f) in line for f, line in zip(files, err)] == [True] * 3
    assert "AttributeError" in err[2] and "Traceback" not in "\n".join(err)
    data = json.loads(out.read_text())
    assert data["media"]["path"] == str(cut_clip.path) and len(data["events"]) == len(cut_clip.cuts)
