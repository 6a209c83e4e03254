"""Which URLs an outlet may fetch (crawler/middlewares/outlet_hosts.py): its own origins (scheme,
host and port), and no private address the configuration did not name."""

from __future__ import annotations

import ipaddress

import pytest

from crawler.middlewares.outlet_hosts import HostPolicy, parse_address
from crawler.outlet_spec import OutletSpec


@pytest.mark.parametrize(
    ("url", "address", "refused"),
    [
        ("http://news.example/a", "93.184.216.34", None),
        ("http://other.example/a", "93.184.216.34", "not one of the outlet's hosts"),
        ("http://www.news.example/a", "93.184.216.34", None),
        # A configured name that starts resolving to the machine itself or the cloud metadata
        # service is refused, unless the configuration named that address.
        ("http://news.example/a", "127.0.0.1", "non-public address"),
        ("http://news.example/a", "169.254.169.254", "non-public address"),
        ("http://news.example/a", "10.1.2.3", "non-public address"),
        ("http://news.example/a", "::ffff:127.0.0.1", "non-public address"),
        ("http://news.example/a", "fe80::1", "non-public address"),
        ("http://news.example/a", "127.0.0.10", None),  # named by the configuration
        ("file:///etc/passwd", None, "not fetched: file URL"),
        ("ftp://news.example/a", None, "not fetched: ftp URL"),
        # Another port of the outlet's own host is another site (a local service, perhaps).
        ("http://news.example:8080/a", "93.184.216.34", "news.example:8080 is not one of"),
        ("https://news.example:8443/a", "93.184.216.34", "not one of the outlet's hosts"),
        ("https://news.example/a", "93.184.216.34", None),  # http and https on 80 and 443
        ("http://news.example:80/a", "93.184.216.34", None),
        ("http://intranet.example:8080/a", "127.0.0.10", None),  # that port was configured
        ("http://intranet.example:8081/a", "127.0.0.10", "not one of the outlet's hosts"),
        ("https://intranet.example:8080/a", "127.0.0.10", "not one of the outlet's hosts"),
        ("http://intranet.example/a", "127.0.0.10", "not one of the outlet's hosts"),
    ],
)
def test_host_policy(url: str, address: str | None, refused: str | None) -> None:
    named = frozenset({ipaddress.ip_address("127.0.0.10")})
    outlet = OutletSpec(
        "news",
        "News",
        feeds=("http://news.example/feed",),
        listing_pages=("http://intranet.example:8080/",),
    )
    policy = HostPolicy(outlet.origins, named)
    reason = policy.refusal(url, parse_address(address) if address else None)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason
