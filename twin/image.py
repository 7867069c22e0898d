"""The twin image: everything the views read of the live twin at one moment, as data.

In production (docs/deployment.md) one ``python app.py twin`` process per port runs the feeds,
the twin, port calls, alerts and the history writer; stateless web workers serve the pages.
After every engine round the twin makes a ``TwinImage`` — the columnar fleet snapshot, feed
health, the port calls, the open alerts and silences, a copy of the hydro-met and berth-plan
models, the radar's dark targets — and publishes it (``twin.bus``). A web worker reads the
latest image and answers every view from it through ``ImageEngine``, which has the engine's
reading interface (``snapshot()``, ``now()``, ``feed_health()``, ``activity``, ``feeds`` …), so
``TwinQuery`` and the callbacks run unchanged and compute each figure with the same code as
the embedded twin (``ActivityReading``, ``AlertReading``: one definition).

Commands (acknowledge, silence) go the other way as messages to the twin, which applies and
stores them and answers; the next image shows them on every worker.

Images are pickled. A web worker unpickles only what an image is made of (``loads``: NumPy
and pandas containers and this project's data classes); anything else in a pickle — a
function call smuggled in through a compromised Redis — is refused.
"""
from __future__ import annotations

import contextlib
import io
import pickle
import time
from dataclasses import dataclass, field

from .activity import ActivityReading
from .alerts.engine import AlertReading
from .alerts.model import list_order


@dataclass
class SourceImage:
    """What the wall's source banner reads of the primary feed (``panels.source_banner``)."""
    source_id: str
    label: str | None = None
    replay_position: dict | None = None

    @property
    def position(self):
        """As on the live source: a replay has ``position()``, a live feed none."""
        if self.replay_position is None:
            raise AttributeError("position")
        return lambda: self.replay_position


@dataclass
class ActivityImage(ActivityReading):
    """The port calls at the moment of the image: ``ActivityReading`` over copies."""
    source: str
    berths_total: int
    all_calls: list = field(default_factory=list)
    alerts: "AlertsImage | None" = None

    def __post_init__(self):
        self._open = [c for c in self.all_calls if c.is_open]
        self._open_of = {c.mmsi: c for c in self._open}    # as the tracker's call_of: open

    def _reading(self):
        return contextlib.nullcontext()

    def _open_calls(self):
        return self._open

    def _call_of(self, mmsi: int):
        return self._open_of.get(mmsi)

    def _all_calls(self):
        return self.all_calls

    def __getstate__(self):
        return {"source": self.source, "berths_total": self.berths_total,
                "all_calls": self.all_calls, "alerts": self.alerts}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()


@dataclass
class AlertsImage(AlertReading):
    """The live alerts at the moment of the image (open ones, silences)."""
    live: list = field(default_factory=list)             # open alerts
    silences: dict = field(default_factory=dict)         # mmsi -> Silence

    @property
    def by_id(self) -> dict:
        return {a.alert_id: a for a in self.live}

    def open_alerts(self, now: float | None = None, sectors=None) -> list:
        alerts = [a for a in self.live if not sectors or a.sector in sectors]
        return list_order(alerts)


@dataclass
class FusionImage:
    """The radar's targets no AIS vessel explains, at the moment of the image."""
    dark: list = field(default_factory=list)

    def dark_targets(self, now: float | None = None) -> list:
        return self.dark


@dataclass
class FeedsImage:
    hydromet: object = None
    plan: object = None
    fusion: FusionImage | None = None


@dataclass
class TwinImage:
    twin_id: str
    seq: int                       # the twin's image counter (one per round)
    made_at: float                 # wall clock (epoch s) when made: /readyz's snapshot age
    now: float
    display_time: float
    snapshot: object               # twin.state.FleetSnapshot
    feed_health: list
    source: SourceImage
    activity: ActivityImage | None
    feeds: FeedsImage
    errors: int = 0
    rounds: tuple = (0, 0.0)


def make_image(engine, seq: int) -> TwinImage:
    """The image of ``engine`` now (run on the twin's engine thread, after a round)."""
    snap = engine.snapshot()
    now = snap.time
    activity = engine.activity
    act = None
    if activity is not None:
        alerts = activity.alerts
        alerts_image = AlertsImage(*alerts.open_copy(now)) if alerts is not None else None
        act = ActivityImage(activity.source, activity.berths_total, activity.calls_copy(),
                            alerts_image)
    feeds = getattr(engine, "feeds", None)
    fusion = getattr(feeds, "fusion", None)
    primary = engine.primary
    position = getattr(primary, "position", None)
    return TwinImage(
        twin_id=engine.twin_id, seq=seq, made_at=time.time(), now=now,
        display_time=engine.display_time(), snapshot=snap, feed_health=engine.feed_health(),
        source=SourceImage(primary.source_id, getattr(primary, "label", None),
                           position() if position else None),
        activity=act,
        feeds=FeedsImage(hydromet=getattr(feeds, "hydromet", None),
                         plan=getattr(feeds, "plan", None),
                         fusion=FusionImage(fusion.dark_targets(now)) if fusion else None),
        errors=engine.errors, rounds=engine.round_stats())


# ---- reading an image in a web worker ----------------------------------------------------

class _Follow:
    """An attribute of the latest image, followed: ``_Follow(get)`` answers every attribute
    of ``get()`` as it is at the call. The views keep one of these for the whole process."""

    def __init__(self, get):
        object.__setattr__(self, "_get", get)

    def __getattr__(self, name):
        return getattr(self._get(), name)


class ActivityFollow(_Follow):
    """The image's port activity; ``acknowledge`` and ``silence`` are commands to the twin,
    answered once it has applied and stored them (as the embedded ``PortActivity`` answers
    once stored): an exception when the twin did not answer in time."""

    def __init__(self, get, commands):
        super().__init__(get)
        object.__setattr__(self, "_commands", commands)
        object.__setattr__(self, "alerts", _Follow(lambda: get().alerts))

    def acknowledge(self, alert_id: str, operator: str, comment: str = ""):
        return self._commands.call({"op": "acknowledge", "alert_id": alert_id,
                                    "operator": operator, "comment": comment or ""})

    def silence(self, mmsis, minutes: float, operator: str, comment: str = "") -> list:
        return self._commands.call({"op": "silence", "mmsis": [int(m) for m in mmsis],
                                    "minutes": float(minutes), "operator": operator,
                                    "comment": comment or ""})


class ImageEngine:
    """The engine's reading interface over the latest image of a twin in another process.

    ``latest()`` returns the newest ``TwinImage`` (``twin.bus.RedisBus.latest``); the first
    one decides which parts the port has (alerts, hydro-met, plan, radar), as the twin's
    configuration does."""

    def __init__(self, latest, commands):
        self.latest = latest
        first = latest()
        self.activity = (ActivityFollow(lambda: latest().activity, commands)
                         if first.activity is not None else None)
        feeds = first.feeds
        self.feeds = FeedsImage(
            hydromet=_Follow(lambda: latest().feeds.hydromet) if feeds.hydromet else None,
            plan=_Follow(lambda: latest().feeds.plan) if feeds.plan else None,
            fusion=_Follow(lambda: latest().feeds.fusion) if feeds.fusion else None)
        self.primary = _Follow(lambda: latest().source)
        self.state = None

    @property
    def twin_id(self) -> str:
        return self.latest().twin_id

    @property
    def last_round_wall(self) -> float:
        return self.latest().made_at

    @property
    def errors(self) -> int:
        return self.latest().errors

    def round_stats(self) -> tuple:
        return self.latest().rounds

    def snapshot(self):
        return self.latest().snapshot

    def now(self) -> float:
        return self.latest().now

    def display_time(self) -> float:
        return self.latest().display_time

    def feed_health(self) -> list:
        return self.latest().feed_health

    def start(self):
        return self

    def step(self) -> int:                   # the twin steps itself
        return 0


# ---- pickles: only what an image is made of ---------------------------------------------

_SAFE_BUILTINS = {"set", "frozenset", "slice", "complex", "bytearray", "range", "object",
                  "list", "dict", "tuple", "int", "float", "str", "bytes", "bool"}
# classes (data containers) of these modules; never a function, never file access
_CLASS_MODULES = ("twin.", "data_sources.events", "numpy", "pandas", "collections",
                  "datetime", "zoneinfo")
_NO_CLASSES = {"memmap", "HDFStore", "ExcelFile", "ExcelWriter"}
# the functions NumPy's and pandas' own pickles call to rebuild their arrays and frames
_REBUILDERS = {
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.internals.blocks", "new_block"),
    ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"),
    ("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle"),
    ("copyreg", "_reconstructor"),
}


class _ImageUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module == "builtins":
            if name in _SAFE_BUILTINS:
                return super().find_class(module, name)
        elif (module, name) in _REBUILDERS:
            return super().find_class(module, name)
        elif module.startswith(_CLASS_MODULES) and ".io" not in module \
                and name not in _NO_CLASSES:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"a twin image may not hold {module}.{name}")


def dumps(image: TwinImage) -> bytes:
    return pickle.dumps(image, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> TwinImage:
    return _ImageUnpickler(io.BytesIO(data)).load()
