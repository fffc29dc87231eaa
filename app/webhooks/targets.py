"""SSRF guard: a webhook URL must be https and resolve only to public addresses.

Checked when a subscription is saved and again before every send (DNS may have changed). The
sender connects to the addresses vetted here, not to a second lookup, so a DNS answer that
changes between check and connect (rebinding) cannot point it at the internal network.
"""

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_SECONDS = 5.0
# IPv6 forms whose last 32 bits are an IPv4 address that a NAT64 gateway (RFC 6052) or an SIIT
# translator would connect to: that IPv4 address is the one to check.
_CARRIES_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::ffff:0:0:0/96"))
# Never a public receiver, whatever the Python version's tables say: IPv4-compatible addresses
# (deprecated by RFC 4291) and local-use NAT64 (RFC 8215), which the operator's own gateway translates.
_NEVER_PUBLIC = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Characters no valid URL holds: urlsplit drops some of them silently, the HTTP client refuses them.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f]")


class TargetRefused(ValueError):
    """The URL may not be called; the message says why (no address or internal detail beyond it)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that a mapped, 6to4, NAT64 or translated IPv6 address leads to."""
    direct = address.ipv4_mapped or address.sixtofour
    if direct is not None:
        return direct
    if any(address in network for network in _CARRIES_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT)..."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo or any(address in network for network in _NEVER_PUBLIC):
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None and _internal(embedded):
            return True
    return not address.is_global or address.is_multicast


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL; TargetRefused otherwise (no network access)."""
    if _UNSAFE_CHARS.search(url):
        raise TargetRefused("is not a valid URL")
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # the sender's parser must accept it as well
    except (ValueError, httpx.InvalidURL) as exc:
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
