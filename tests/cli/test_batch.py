"""Library batch mode: a folder tree in, one result file per media file out, resumable, failures listed."""

from __future__ import annotations

import json
import shutil

from avevents.cli.main import main as cli


def _tree(tmp_path, speech_wav, cut_clip):
    root = tmp_path / "library"
    (root / "day1").mkdir(parents=True)
    (root / ".trash").mkdir()
    shutil.copy(speech_wav.path, root / "interview.wav")
    shutil.copy(cut_clip.path, root / "day1" / "shots.mp4")
    (root / "day1" / "broken.mov").write_bytes(cut_clip.path.read_bytes()[:3000])
    (root / "notes.txt").write_text("not media")
    shutil.copy(speech_wav.path, root / ".trash" / "old.wav")
    return root


def test_a_folder_tree_gives_one_result_per_file_and_resumes(tmp_path, speech_wav, cut_clip, capsys):
    root = _tree(tmp_path, speech_wav, cut_clip)
    out = tmp_path / "results"
    args = ["detect", "--recursive", str(root), "--out", str(out), "--in-process", "--labels", "Speech,Scene cut"]
    assert cli(args) == 1  # the truncated file failed; the others are done
    printed = capsys.readouterr().out
    assert "3 media file(s): 2 analysed, 0 already done, 1 failed" in printed and "broken.mov" in printed
    interview = json.loads((out / "interview.wav.json").read_text())
    assert interview["media"]["path"].endswith("interview.wav") and interview["events"]
    assert json.loads((out / "day1" / "shots.mp4.json").read_text())["events"]
    assert not (out / ".trash").exists() and not (out / "notes.txt.json").exists()
    manifest = json.loads((out / ".avevents-batch.json").read_text())
    assert manifest["day1/broken.mov"]["status"] == "failed" and manifest["interview.wav"]["status"] == "done"
    # Again: nothing redone; a new file and a fixed one are analysed.
    shutil.copy(cut_clip.path, root / "day1" / "broken.mov")
    shutil.copy(speech_wav.path, root / "day1" / "new.wav")
    assert cli(args) == 0
    assert "4 media file(s): 2 analysed, 2 already done, 0 failed" in capsys.readouterr().out
    # Other options are another result: everything runs again; --force too.
    assert cli([*args, "--min-length", "0.3"]) == 0
    assert "4 analysed, 0 already done" in capsys.readouterr().out
    assert cli([*args, "--min-length", "0.3", "--force"]) == 0
    assert "4 analysed, 0 already done" in capsys.readouterr().out


def test_csv_and_otio_results_and_clear_errors(tmp_path, speech_wav, cut_clip, capsys):
    root = _tree(tmp_path, speech_wav, cut_clip)
    (root / "day1" / "broken.mov").unlink()
    (root / "day1" / "shots.mp4").unlink()  # audio labels only below: keep the files with sound
    for kind in ("csv", "otio"):
        out = tmp_path / kind
        assert cli(["detect", "--recursive", str(root), "--out", str(out), "--format", kind, "--in-process",
                    "--labels", "Speech", "-q"]) == 0  # fmt: skip
        assert (out / f"interview.wav.{kind}").stat().st_size > 100
    assert cli(["detect", str(root), "--out", str(tmp_path / "x"), "--in-process"]) == 2
    assert "add --recursive" in capsys.readouterr().err
    assert cli(["detect", "--recursive", str(root), "--in-process"]) == 2
    assert "give --out DIR" in capsys.readouterr().err


def test_files_analysed_at_once_give_the_same_results(tmp_path, speech_wav, cut_clip, capsys):
    root = _tree(tmp_path, speech_wav, cut_clip)
    outputs = {}
    for parallel in ("1", "3"):
        out = tmp_path / f"results-{parallel}"
        args = ["detect", "--recursive", str(root), "--out", str(out), "--in-process", "--parallel", parallel,
                "--labels", "Speech,Scene cut"]  # fmt: skip
        assert cli(args) == 1
        assert "3 media file(s): 2 analysed, 0 already done, 1 failed" in capsys.readouterr().out
        manifest = json.loads((out / ".avevents-batch.json").read_text())
        assert sorted(manifest) == ["day1/broken.mov", "day1/shots.mp4", "interview.wav"]
        outputs[parallel] = {
            name: [
                (e["label"], e["start_seconds"], e["end_seconds"])
                for e in json.loads((out / name).read_text())["events"]
            ]
            for name in ("interview.wav.json", "day1/shots.mp4.json")
        }
    assert outputs["1"] == outputs["3"] and all(outputs["1"].values())
