"""Campaigns: bulk sends from a file or an iterable, each row sent at most once, resumable.

``Campaign(source, template=…).run(gateway)`` sends in this process; with a Celery broker
configured, ``smsgate.campaigns.tasks`` (imported only by workers and by what enqueues) cuts the
campaign into chunks that any number of ``smsgate worker`` processes send. State, per-row
outcomes and counts live in the store, so every process sees one campaign (``Campaigns``);
delivery reports move its ``delivered`` / ``undelivered`` counts through :func:`count_deliveries`.
"""

from ._campaign import Campaign
from ._receipts import count_deliveries
from ._settings import CampaignSettings, open_store
from ._sources import Reject, Row, Source, read_csv, read_json_lines, read_rows
from ._state import COUNTS, RECEIPTS, Campaigns, CampaignState

__all__ = [
    "COUNTS",
    "RECEIPTS",
    "Campaign",
    "CampaignSettings",
    "CampaignState",
    "Campaigns",
    "Reject",
    "Row",
    "Source",
    "count_deliveries",
    "open_store",
    "read_csv",
    "read_json_lines",
    "read_rows",
]
