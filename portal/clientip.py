"""The one place that says which address a request comes from (issue 11).

Used by the audit log (RequestContextMiddleware), the login lockout
(django-axes, ``AXES_CLIENT_IP_CALLABLE``) and the rate counters
(:func:`portal.throttle.allow`).

``X-Forwarded-For`` is read only when the request was handed over by one of
``settings.TRUSTED_PROXIES`` (``DJANGO_TRUSTED_PROXIES``: addresses or
networks of our own reverse proxies). Anyone else's header is ignored and the
socket address (``REMOTE_ADDR``) is the client: a client cannot forge its
address by sending the header itself. Behind the proxy, django-ipware picks
the entry that the proxies appended (the right-most one not belonging to a
trusted proxy); entries to its left come from the client and are not trusted.
"""

import ipaddress

from django.conf import settings
from python_ipware import IpWare


def _networks():
    nets = []
    for entry in getattr(settings, "TRUSTED_PROXIES", ()) or ():
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return nets


def _is_trusted(address: str, nets) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or — only from a trusted proxy —
    the address that proxy put into X-Forwarded-For."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or None
    nets = _networks()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not remote or not nets or not forwarded or not _is_trusted(remote, nets):
        return remote
    # The whole hop chain, client first, our proxy (REMOTE_ADDR) last; count
    # the trusted hops at its right end so that ipware takes the one before.
    chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [remote]
    trusted_hops = 0
    for hop in reversed(chain[1:]):
        if not _is_trusted(hop, nets):
            break
        trusted_hops += 1
    ipware = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=trusted_hops)
    ip, _ = ipware.get_client_ip({"HTTP_X_FORWARDED_FOR": ", ".join(chain)}, strict=False)
    return str(ip) if ip is not None else remote
