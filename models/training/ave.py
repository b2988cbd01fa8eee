"""The AVE dataset's format (Tian et al., ECCV 2018): ``Category&VideoID&Quality&StartTime&EndTime``
rows (Annotations.txt with a header; trainSet/valSet/testSet.txt without), 28 categories, 10-second
videos labelled per one-second segment: the event's category inside [start, end), background elsewhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avevents.core.errors import InvalidRequest

log = logging.getLogger(__name__)

BACKGROUND = "Background"
SEGMENTS = 10
SPLITS = {"train": "trainSet.txt", "val": "valSet.txt", "test": "testSet.txt"}
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi")


@dataclass(frozen=True)
class AveRecord:
    category: str
    video_id: str
    quality: str
    start: int  # seconds, the event's first segment
    end: int  # seconds, after its last segment


def read_records(path: Path, skipped: list[str] | None = None) -> list[AveRecord]:
    """The rows of an AVE-format file; rows with an empty event are left out (listed in ``skipped``)."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("Category&"):
            continue
        parts = line.split("&")
        if len(parts) != 5:
            raise InvalidRequest(f"{path}:{number}: expected Category&VideoID&Quality&StartTime&EndTime")
        try:
            start, end = int(parts[3]), int(parts[4])
        except ValueError:
            raise InvalidRequest(f"{path}:{number}: start and end must be whole seconds") from None
        if not 0 <= start < end <= SEGMENTS:
            # The real Annotations.txt has one such row (Church bell, VWi2ENBuTbw, 0-0): skip it, say so.
            log.warning(
                "%s:%d: event %d-%d s is empty or outside 0-%d s; row skipped", path, number, start, end, SEGMENTS
            )
            if skipped is not None:
                skipped.append(f"{Path(path).name}:{number}: {line}")
            continue
        records.append(AveRecord(parts[0], parts[1], parts[2], start, end))
    return records


@dataclass
class AveDataset:
    root: Path
    videos: Path
    categories: list[str]
    splits: dict[str, list[AveRecord]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # rows left out, with why

    @classmethod
    def load(cls, root: Path, videos: Path) -> AveDataset:
        root, videos = Path(root), Path(videos)
        categories_file = root / "categories.txt"
        if not categories_file.is_file():
            raise InvalidRequest(f"{root}: no categories.txt (an AVE-format folder has it and the split files)")
        categories = [c.strip() for c in categories_file.read_text(encoding="utf-8").splitlines() if c.strip()]
        skipped: list[str] = []
        splits = {name: read_records(root / file, skipped) for name, file in SPLITS.items() if (root / file).is_file()}
        if "train" not in splits:
            raise InvalidRequest(f"{root}: no trainSet.txt")
        unknown = {r.category for rs in splits.values() for r in rs} - set(categories)
        if unknown:
            raise InvalidRequest(f"{root}: categories not in categories.txt: {', '.join(sorted(unknown))}")
        return cls(root, videos, categories, splits, skipped)

    @property
    def labels(self) -> tuple[str, ...]:
        """The classes a model predicts: the 28 (or the dataset's) categories, then the background."""
        return (*self.categories, BACKGROUND)

    def video_path(self, record: AveRecord) -> Path | None:
        for suffix in VIDEO_SUFFIXES:
            path = self.videos / f"{record.video_id}{suffix}"
            if path.is_file():
                return path
        return None

    def available(self, split: str) -> tuple[list[tuple[AveRecord, Path]], list[str]]:
        """(records whose video is present with its path, the video ids that are missing)."""
        present, missing = [], []
        for record in self.splits.get(split, []):
            path = self.video_path(record)
            if path is None:
                missing.append(record.video_id)
            else:
                present.append((record, path))
        return present, missing

    def segment_labels(self, record: AveRecord) -> np.ndarray:
        """[10] class index per one-second segment (the background index outside the event)."""
        labels = np.full(SEGMENTS, len(self.categories), np.int64)
        labels[record.start : record.end] = self.categories.index(record.category)
        return labels
