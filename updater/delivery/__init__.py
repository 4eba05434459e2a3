"""Delivery: what happens to the engine's results on the forge and in the state store.

sync.py reconciles the store with GitHub before a run (declined versions, merged branches, a
lost store rebuilt from the PRs' metadata blocks); deliver.py pushes branches, opens and updates
PRs and publishes the dashboard after it; report.py says what was done.
"""

from updater.delivery.deliver import Delivery, push_url_of, wanted
from updater.delivery.report import DeliveryReport, UnitDelivery
from updater.delivery.sync import SyncReport, ignoring_declined, sync

__all__ = [
    "Delivery",
    "DeliveryReport",
    "SyncReport",
    "UnitDelivery",
    "ignoring_declined",
    "push_url_of",
    "sync",
    "wanted",
]
