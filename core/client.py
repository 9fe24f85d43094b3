"""The client's address, as every limit and log line uses it.

Behind proxies, REMOTE_ADDR is the nearest proxy, so the client is found in X-Forwarded-For:
each proxy appends the address it received the request from. With TRUSTED_PROXY_HOPS = N (the
proxies of the deployment: 1 for nginx or a platform router in front of gunicorn, 2 for a load
balancer in front of nginx), the client is the N-th address from the right; anything to its left
was written by the client and is ignored, so a spoofed extra hop changes nothing. With 0 (the
default: gunicorn faces the internet) the header is ignored and REMOTE_ADDR is the client.

Limits count an IPv6 client by its /64 network (`limit_key`): one host usually holds a whole /64,
so counting single addresses would let it walk past every limit.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's IP address (a string; "" when there is none)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return _normalised(remote)
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return _normalised(remote)  # not through all our proxies: only the peer is known
    return _normalised(forwarded[-hops]) or _normalised(remote)


def limit_key(ip: str) -> str:
    """What a limit counts for `ip`: the address itself, or its /64 network for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _normalised(value: str) -> str:
    """A valid address in its usual form (IPv4-mapped IPv6 as IPv4), or "" for anything else."""
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)
