"""Test-only Celery entry point for tests/test_faults_kill_worker.py (issue 11
item 3, a worker killed mid-render): the portal's app, whose document
first rendering holds while the file named by I11_RENDER_HOLD exists, and
each start (the rendering process id) is noted in I11_RENDER_STARTS, so that
the test can kill the worker in the middle of a render. Never used outside that test."""

import os
import time

from celery.signals import task_prerun

from portal.celery import app

# The test's short visibility timeout comes from CELERY_VISIBILITY_TIMEOUT;
# here the unacknowledged messages are also looked for every second.
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

_installed = False


@task_prerun.connect
def _hold_renders(**kwargs):
    global _installed
    if _installed:
        return
    _installed = True
    from portal import documents

    cls = type(documents.get("shoshiki_1"))
    produce = cls.produce

    def held_produce(self, obj):
        starts = os.environ["I11_RENDER_STARTS"]
        first = not os.path.exists(starts)
        with open(starts, "a") as f:
            f.write(f"{os.getpid()}\n")
        while first and os.path.exists(os.environ["I11_RENDER_HOLD"]):
            time.sleep(0.05)  # the first render is held until the test kills it
        return produce(self, obj)

    cls.produce = held_produce


__all__ = ["app"]
