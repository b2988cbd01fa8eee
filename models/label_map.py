"""Which ImageNet classes show what an AudioSet label sounds like: the zero-shot bridge of the fusion.

Each AudioSet label maps to ImageNet classes named by their first synonym in ``imagenet_labels.txt``,
or to a contiguous range of them (first, last). A label without an entry has no visual counterpart
(speech, laughter, applause, silence...): its events report no video confidence rather than an
invented one.
"""

from __future__ import annotations

DOGS = ("Chihuahua", "Mexican hairless")
CATS = ("tabby", "Egyptian cat")
BIRDS = (("cock", "great grey owl"), ("black grouse", "black swan"), ("white stork", "albatross"))
GUITARS = ("acoustic guitar", "electric guitar")
CARS = (
    "sports car",
    "racer",
    "convertible",
    "cab",
    "limousine",
    "beach wagon",
    "minivan",
    "jeep",
    "car wheel",
    "grille",
    "Model T",
)
TRUCKS = ("trailer truck", "pickup", "tow truck", "garbage truck", "fire engine", "moving van")
TRAINS = ("electric locomotive", "steam locomotive", "passenger car", "freight car", "streetcar", "bullet train")
AIRCRAFT = ("airliner", "warplane")
BOATS = ("speedboat", "lifeboat", "fireboat", "yawl", "catamaran", "trimaran", "container ship", "liner")

AUDIOSET_TO_IMAGENET: dict[str, tuple] = {
    **{label: (DOGS,) for label in ("Dog", "Bark", "Howl", "Bow-wow", "Yip", "Growling", "Whimper (dog)")},
    **{label: (CATS,) for label in ("Cat", "Meow", "Purr", "Caterwaul")},
    **{label: BIRDS for label in ("Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet", "Squawk")},
    **{label: ("sorrel",) for label in ("Horse", "Neigh, whinny", "Clip-clop")},
    **{
        label: GUITARS
        for label in (
            "Guitar",
            "Acoustic guitar",
            "Electric guitar",
            "Bass guitar",
            "Steel guitar, slide guitar",
            "Ukulele",
            "Strum",
        )
    },
    "Violin, fiddle": ("violin",),
    "Cello": ("cello",),
    "Banjo": ("banjo",),
    "Accordion": ("accordion",),
    "Flute": ("flute",),
    "Harmonica": ("harmonica",),
    "Piano": ("grand piano", "upright"),
    "Drum": ("drum",),
    "Drum kit": ("drum",),
    "Trombone": ("trombone",),
    "Saxophone": ("sax",),
    "French horn": ("French horn",),
    "Harp": ("harp",),
    "Organ": ("organ",),
    "Marimba, xylophone": ("marimba",),
    "Steelpan": ("steel drum",),
    "Gong": ("gong",),
    "Chime": ("chime",),
    **{label: CARS for label in ("Car", "Race car, auto racing", "Car passing by", "Vehicle")},
    "Truck": TRUCKS,
    "Bus": ("school bus", "trolleybus", "minibus"),
    "Motorcycle": ("moped", "motor scooter"),
    **{label: TRAINS for label in ("Train", "Train horn", "Rail transport", "Railroad car, train wagon")},
    **{label: AIRCRAFT for label in ("Aircraft", "Fixed-wing aircraft, airplane", "Jet engine", "Aircraft engine")},
    **{label: BOATS for label in ("Boat, Water vehicle", "Motorboat, speedboat", "Ship")},
    "Church bell": ("bell cote", "church"),
    **{label: ("wall clock", "analog clock", "digital clock") for label in ("Clock", "Tick-tock")},
    "Chainsaw": ("chain saw",),
    **{label: ("computer keyboard", "typewriter keyboard") for label in ("Typing", "Computer keyboard")},
    **{
        label: ("dial telephone", "cellular telephone", "pay-phone")
        for label in ("Telephone", "Telephone bell ringing", "Ringtone")
    },
    "Toilet flush": ("toilet seat",),
    "Frying (food)": ("frying pan", "wok"),
    "Sewing machine": ("sewing machine",),
    "Vacuum cleaner": ("vacuum",),
    "Hair dryer": ("hand blower",),
    "Lawn mower": ("lawn mower",),
    "Power tool": ("power drill", "chain saw"),
    **{label: ("rifle", "revolver", "assault rifle") for label in ("Gunshot, gunfire", "Machine gun")},
}


def resolve(imagenet_labels: list[str]) -> dict[str, list[int]]:
    """{AudioSet label: ImageNet output indices} for the label list of a classifier (line i = output i).

    Raises KeyError naming the entry when a class name is not in the list (a typo must not silently
    drop a label's visual evidence).
    """
    first = {line.split(",")[0].strip(): i for i, line in enumerate(imagenet_labels)}

    def indices(item) -> list[int]:
        if isinstance(item, tuple):
            lo, hi = first[item[0]], first[item[1]]
            return list(range(lo, hi + 1))
        return [first[item]]

    out: dict[str, list[int]] = {}
    for label, items in AUDIOSET_TO_IMAGENET.items():
        found: list[int] = []
        for item in items:
            try:
                found += indices(item)
            except KeyError as exc:
                raise KeyError(f"{label!r} maps to {exc.args[0]!r}, which is not an ImageNet class here") from None
        out[label] = sorted(set(found))
    return out
