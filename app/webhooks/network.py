"""Which addresses a webhook URL reaches: checked when the webhook is made and again
before each delivery (a name may resolve elsewhere later)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from app.webhooks.rules import check_addresses, url_host

# A name that takes longer than this to resolve is taken as one that does not.
RESOLVE_SECONDS = 5.0


async def resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
    except (OSError, UnicodeError, TimeoutError):
        return []
    return sorted({str(info[4][0]) for info in infos})


async def check_url(url: str, *, allow_private: bool, must_resolve: bool) -> None:
    """`UnsafeAddress` unless the URL is http(s) and (unless `allow_private`) every
    address its host resolves to is public."""
    host, port = url_host(url)
    if allow_private:
        return
    check_addresses(host, await resolve(host, port), must_resolve=must_resolve)
