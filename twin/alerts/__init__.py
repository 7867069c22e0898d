"""Alerts: a VTS rule set computed on the server, one small module per rule, with a lifecycle
(incidents, acknowledgement, silencing, exclusions, severity, sectors) kept in the history
store. See ``engine`` for the lifecycle and docs/definitions.md ("Alerts") for every rule."""
from .engine import RULES, AlertEngine, run_alerts
from .model import SEVERITIES, Alert

__all__ = ["RULES", "SEVERITIES", "Alert", "AlertEngine", "run_alerts"]
