"""Where a completion webhook may go: the URL's host is resolved once, every address it
resolves to must be public (`is_public_address`, including IPv4 addresses embedded in IPv6
forms), and the port must be in `WEBHOOK_ALLOWED_PORTS`. `WEBHOOK_ALLOW_PRIVATE_TARGETS`
(tests and labs, refused in production) lifts the address and port checks. The checked
addresses travel with the `Target`, so a second DNS answer can never move a delivery."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from backend.config import Settings
from backend.errors import InvalidInput

MAX_URL_LENGTH = 2000
# What a delivery shows when its target is refused.
BLOCKED = "blocked address"
UNRESOLVED = "unresolvable host"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215; the embedding varies
_LOW_32_BITS_ARE_IPV4 = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix
    _NAT64_LOCAL,
)


class TargetRefused(InvalidInput):
    """A webhook URL that may not be posted to; `category` is what a delivery shows."""

    def __init__(self, message: str, category: str = BLOCKED) -> None:
        super().__init__(message)
        self.category = category


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, IPv4-compatible,
    IPv4-translated, 6to4, Teredo (server and client) and NAT64 forms."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _LOW_32_BITS_ARE_IPV4):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return found


def _plainly_public(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def is_public_address(address: IPAddress) -> bool:
    """Whether a webhook may be posted to the address: globally routable, not multicast,
    reserved or unspecified, and the same for every IPv4 address it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None or address in _NAT64_LOCAL:
            return False
        return _plainly_public(address) and all(
            _plainly_public(inner) for inner in embedded_ipv4(address)
        )
    return _plainly_public(address)


def port_allowed(port: int, spec: str) -> bool:
    """Whether the port is in a `WEBHOOK_ALLOWED_PORTS` list ("80,443,8000-8999" or "*")."""
    spec = spec.replace(" ", "")
    if spec == "*":
        return True
    for part in spec.split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and (high or low).isdigit() and int(low) <= port <= int(high or low):
            return True
    return False


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: its host as sent (IDNA name or address) and its addresses."""

    url: httpx.URL
    host: str
    addresses: tuple[IPAddress, ...]


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address the host resolves to (an address literal is its own answer)."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:
        raise TargetRefused(f"The webhook host '{host}' cannot be resolved.", UNRESOLVED) from exc
    found: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    if not found:
        raise TargetRefused(f"The webhook host '{host}' cannot be resolved.", UNRESOLVED)
    return tuple(found)


def resolve_target(url: str, *, settings: Settings) -> Target:
    """Parse the URL, resolve its host once and check the port and every address (unless the
    test allowance is on); raises TargetRefused with the reason."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Webhook URLs are limited to {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise TargetRefused("The webhook URL is not a valid URL.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise TargetRefused("The webhook URL must start with http:// or https:// and name a host.")
    if parsed.userinfo:
        raise TargetRefused("The webhook URL must not contain a user name or password.")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port if parsed.port is not None else 443 if parsed.scheme == "https" else 80
    lab = settings.webhook_allow_private_targets
    if not lab and not port_allowed(port, settings.webhook_allowed_ports):
        raise TargetRefused(
            f"Webhook URLs may only use the ports {settings.webhook_allowed_ports}."
        )
    addresses = _resolve(host, port)
    if not lab and not all(is_public_address(address) for address in addresses):
        raise TargetRefused(
            f"The webhook host '{host}' is a private or loopback address (or resolves to one); "
            "webhooks only go to public addresses."
        )
    return Target(url=parsed, host=host, addresses=addresses)


def check_target(url: str, *, settings: Settings) -> str:
    """The URL, stripped, if a webhook may be posted to it (see `resolve_target`)."""
    resolve_target(url, settings=settings)
    return url.strip()
