"""Publish the outbox's waiting messages (portal.outbox) to the broker.

Runs without the broker being up (it is what brings the notices and documents
through an outage): once, or with ``--loop`` every OUTBOX_RELAY_INTERVAL
seconds as the ``outbox`` service of docker-compose.yml.
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from portal import outbox

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "送信待ちの通知メール・書類作成をキュー（Redis）へ送ります。"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="止めるまで繰り返します。")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="繰り返しの間隔（秒）。既定は設定 OUTBOX_RELAY_INTERVAL。",
        )
        parser.add_argument("--limit", type=int, default=500, help="1回に送る最大件数。")

    def handle(self, *args, loop=False, interval=None, limit=500, **options):
        interval = settings.OUTBOX_RELAY_INTERVAL if interval is None else interval
        while True:
            if loop:  # CONN_MAX_AGE and health checks, as between two requests
                close_old_connections()
            try:
                sent = outbox.relay(limit)
            except DatabaseError:
                # PostgreSQL restarting: the next round reconnects.
                log.exception("relay_outbox: the database cannot be reached")
                sent = 0
            if sent or not loop:
                self.stdout.write(f"キューへ送った件数：{sent}")
            if not loop:
                return
            if sent < limit:
                time.sleep(interval)
