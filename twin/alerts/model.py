"""What an alert is, and the settings every rule shares (thresholds come from the port's
``alerts.toml``; defaults and their sources are in docs/definitions.md, "Alerts").

Severity follows the IMO bridge alert management categories (MSC.302(87)): an **alarm** needs
immediate attention, a **warning** needs attention soon, a **caution** is for awareness.

An ``Alert`` is an *incident*: one rule, one subject (a vessel, or a pair of vessels), from its
first occurrence until it has been quiet for the incident window (30 min). Repeats inside the
window join it (``occurrences`` counts them) instead of raising a new alert, and an
acknowledgement covers the whole incident.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SEVERITIES = ("alarm", "warning", "caution")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def list_order(alerts) -> list:
    """How a list of alerts is shown: most severe first, then newest first by when each
    began (the time its row shows). An alert that recurs keeps its place: ordered by its
    last occurrence, rows jumped about the list and were not in the time order they show."""
    return sorted(alerts, key=lambda a: (SEVERITY_RANK[a.severity], -a.start, a.alert_id))
STATE, EVENT = "state", "event"


@dataclass
class Condition:
    """What a rule says about one subject at one moment.

    State rules say ``active=True`` while the condition holds and ``active=False`` when it is
    known not to; event rules only say ``active=True``, once per event. ``qualifier`` tells
    conditions of one subject apart (which zone).
    """

    rule: str
    mmsi: int
    ts: float
    lon: float
    lat: float
    active: bool = True
    details: dict = field(default_factory=dict)
    other: int | None = None          # the second vessel of a pair rule
    qualifier: str = ""
    since: float | None = None        # the condition began earlier than ``ts`` (sustained rules)
    # what the alert is about when it is not (only) a vessel: "radar:FW:12", "station:8518750",
    # "plan:P-7" … (``mmsi`` may then be None)
    subject: str | None = None


@dataclass
class Alert:
    alert_id: str
    rule: str
    kind: str                          # state / event
    severity: str
    mmsi: int | None                   # None: not about one vessel (a station, a radar track)
    other_mmsi: int | None
    start: float                       # first occurrence
    last: float                        # latest time the condition held / latest event
    lon: float
    lat: float
    sector: str | None = None
    details: dict = field(default_factory=dict)
    occurrences: int = 1
    end: float | None = None           # state: when it stopped holding; event: acknowledged
    holding: list = field(default_factory=list)    # state: qualifiers holding now
    acked_at: float | None = None
    acked_by: str | None = None
    ack_comment: str | None = None
    subject_id: str | None = None      # Condition.subject

    @property
    def open(self) -> bool:
        """Shown in the alert list: a state alert while its condition holds, an event alert
        until it is acknowledged."""
        return bool(self.holding) if self.kind == STATE else self.acked_at is None

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    def subject(self) -> str:
        return self.subject_id or subject_key(self.mmsi, self.other_mmsi)

    def vessels(self) -> list[int]:
        return [m for m in (self.mmsi, self.other_mmsi) if m is not None]

    def to_row(self) -> dict:
        row = asdict(self)
        row["open"] = self.open
        return row

    @classmethod
    def from_row(cls, row: dict) -> "Alert":
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in row.items() if k in names}
        values["holding"] = list(values.get("holding") or [])
        values["details"] = dict(values.get("details") or {})
        return cls(**values)


def subject_key(mmsi: int, other: int | None = None) -> str:
    return str(mmsi) if other is None else f"{min(mmsi, other)}-{max(mmsi, other)}"


@dataclass
class RuleSettings:
    """What every rule has besides its thresholds: on/off, severity, exclusions."""

    enabled: bool = True
    severity: str = "warning"
    exclude_mmsi: frozenset = frozenset()
    exclude_categories: frozenset = frozenset()    # twin.vessel_types categories

    def excludes(self, mmsi: int, category: str | None) -> bool:
        return mmsi in self.exclude_mmsi or (category is not None
                                             and category in self.exclude_categories)


def split_settings(values: dict, default_severity: str, where: str
                   ) -> tuple[RuleSettings, dict]:
    """A rule's TOML table -> (common settings, its own thresholds)."""
    values = dict(values or {})
    severity = values.pop("severity", default_severity)
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: severity {severity!r} is not one of {SEVERITIES}")
    common = RuleSettings(
        enabled=bool(values.pop("enabled", True)), severity=severity,
        exclude_mmsi=frozenset(int(m) for m in values.pop("exclude_mmsi", ())),
        exclude_categories=frozenset(values.pop("exclude_categories", ())))
    return common, values
