"""SSRF guard: a webhook URL must be https and resolve only to public addresses.

Checked when a subscription is saved and again before every send (DNS may have changed). The
sender connects to the addresses vetted here, not to a second lookup, so a DNS answer that
changes between check and connect (rebinding) cannot point it at the internal network.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_SECONDS = 5.0


class TargetRefused(ValueError):
    """The URL may not be called; the message says why (no address or internal detail beyond it)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT)..."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and _internal(embedded):
            return True
    return not address.is_global or address.is_multicast


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL; TargetRefused otherwise (no network access)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise TargetRefused("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry credentials")
    if not parts.hostname:
        raise TargetRefused("has no host")
    if parts.fragment:
        raise TargetRefused("must not have a fragment")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


async def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise TargetRefused("host does not resolve") from exc
    # Scoped IPv6 addresses ("fe80::1%eth0") carry their zone; the address itself is what is checked.
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not addresses:
        raise TargetRefused("host does not resolve")
    return tuple(sorted(addresses, key=lambda a: (a.version, int(a))))


async def vet(url: str, *, allow_private: bool) -> Target:
    """The target behind `url` if every address it resolves to may be called."""
    scheme, host, port = parse(url, allow_private=allow_private)
    addresses = await _resolve(host, port)
    if not allow_private and any(_internal(a) for a in addresses):
        raise TargetRefused("resolves to a private, loopback or otherwise internal address")
    return Target(url, scheme, host, port, addresses)
