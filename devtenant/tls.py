"""TLS material for the emulator's HTTPS site: a throwaway CA (trustme) and a server cert for loopback names."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class TlsMaterial:
    """The CA clients must trust and the server-side SSL context signed by it."""

    ca_pem: bytes
    server_context: ssl.SSLContext

    def write_ca(self, path: Path) -> Path:
        path.write_bytes(self.ca_pem)
        return path

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts only this CA (handy for aiohttp clients in the same process).

        Built without the system store: loading that costs tens of milliseconds and is never needed here.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
        context.load_verify_locations(cadata=self.ca_pem.decode("ascii"))
        return context


def make_tls(names: tuple[str, ...] = SERVER_NAMES) -> TlsMaterial:
    """Create a fresh CA and a server certificate for `names`; nothing is reused between runs."""
    ca = trustme.CA(organization_name="devtenant emulator CA")
    cert = ca.issue_cert(*names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return TlsMaterial(ca_pem=ca.cert_pem.bytes(), server_context=context)
