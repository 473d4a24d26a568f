"""Fetch one web page safely. This is the only network code in qualityscore.

Moderators paste arbitrary URLs, so every fetch is treated as hostile input:

* Server-side request forgery: the address check runs inside the connection
  backend, on the IP actually connected to, for every redirect hop. Checking the
  URL's host string up front is not enough (DNS rebinding, redirects to
  ``http://169.254.169.254/``, odd IP spellings such as ``0x7f.1``).
* Resource exhaustion: every limit comes from ``Settings``; the body is capped
  *after* decompression, and decompression itself is bounded so a gzip bomb never
  inflates in memory.
* Every failure is a ``FetchError`` with a stable ``type``; no httpx/httpcore
  exception leaves this module.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from qualityscore.errors import FetchError
from qualityscore.settings import DEFAULT_SETTINGS, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOWED_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Success codes that carry no page (and any 3xx that is not a redirect, checked apart).
NOT_A_PAGE_STATUSES = frozenset({204, 205})
ACCEPT = "text/html, text/plain;q=0.9"
# Only the encodings we can inflate with a hard output cap. httpx would otherwise
# advertise br/zstd when those packages happen to be installed.
ACCEPT_ENCODING = "gzip, deflate"

# Named explicitly even though the generic checks already cover them: these are
# the addresses SSRF attacks aim for, and the intent should survive refactoring.
CLOUD_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# IPv6 prefix that NAT64 gateways translate to the embedded IPv4 address.
_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
_IPV4_MASK = 0xFFFFFFFF  # the low 32 bits of an IPv6 address

# Enough bytes to tell text from binary when the server sends no Content-Type.
_SNIFF_BYTES = 512
_BINARY_SIGNATURES = (b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04")
# Control characters that legitimately occur in text files.
_TEXT_CONTROL_BYTES = frozenset(b"\t\n\r\f\x1b")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")

# httpx wraps these in its own exceptions; listed so a leak still maps to a FetchError.
_HTTPCORE_ERRORS: tuple[type[Exception], ...] = (
    httpcore.ConnectionNotAvailable,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
    httpcore.ProtocolError,
    httpcore.NetworkError,
)


@dataclass(frozen=True)
class Fetched:
    """A fetched page: final URL, status, media type and the (decompressed) body."""

    url: str  # final URL after redirects
    status: int
    content_type: str  # e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any
    body: bytes  # decompressed, at most settings.max_response_bytes


def fetch(url: str, settings: Settings = DEFAULT_SETTINGS) -> Fetched:
    """Fetch ``url`` (http/https only) within the limits in ``settings``.

    Redirects are followed by hand so each hop's URL is validated and each hop's
    connection goes through the address guard. Raises ``FetchError`` on any failure.
    """
    deadline = time.monotonic() + settings.total_timeout
    current = _parse_url(url, what="URL")
    try:
        with _make_client(settings, deadline) as client:
            for _hop in range(settings.max_redirects + 1):
                timeout = _hop_timeout(settings, deadline, current)
                with client.stream("GET", current, timeout=timeout) as response:
                    location = _redirect_location(response)
                    if location is None:
                        return _read_response(response, settings, deadline)
                    target = _join_location(response.url, location)
                current = _parse_url(target, what="redirect target")
            raise FetchError(
                f"{url} redirected more than {settings.max_redirects} times "
                f"(last hop: {current}). Open the page in a browser and paste the final "
                "URL instead.",
                type="fetch.too_many_redirects",
            )
    except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
        raise FetchError(
            f"timed out fetching {current} ({_describe(exc)}). The site may be slow or "
            "down; try again later.",
            type="fetch.timeout",
        ) from exc
    except httpx.DecodingError as exc:
        raise FetchError(
            f"could not decode the response from {current} ({_describe(exc)}). The server "
            "sent a broken compressed body; try again later.",
            type="fetch.decode_error",
        ) from exc
    except httpx.InvalidURL as exc:
        raise FetchError(
            f"invalid URL {current} ({_describe(exc)}). Check the URL.",
            type="fetch.invalid_url",
        ) from exc
    except (httpx.HTTPError, httpx.StreamError, *_HTTPCORE_ERRORS, OSError) as exc:
        # Connection refused, DNS failure, TLS failure, server hung up mid-response.
        # The last two families should never get past httpx, but a leak would expose
        # library internals to callers, so they are mapped too.
        raise FetchError(
            f"could not connect to {current} ({_describe(exc)}). Check the URL, or try "
            "again later if the site is down.",
            type="fetch.connection_failed",
        ) from exc


# --- URLs and redirects -------------------------------------------------------


def _parse_url(url: object, *, what: str) -> httpx.URL:
    """Parse and validate a URL; only absolute http(s) URLs with a host are fetched."""
    if not isinstance(url, (str, httpx.URL)):
        raise FetchError(
            f"{what} must be a string, got {type(url).__name__}.", type="fetch.invalid_url"
        )
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes an IDNA name ("xn--..."), which may be invalid
        problem = _host_problem(host, parsed.port)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:  # idna.IDNAError is a ValueError
        raise FetchError(
            f"{what} {url!r} is malformed ({exc}). Paste the full address, e.g. "
            "https://example.org/page.",
            type="fetch.invalid_url",
        ) from exc
    if problem:
        raise FetchError(f"{what} {url!r} is malformed ({problem}). Check the address.", type="fetch.invalid_url")
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise FetchError(
            f"{what} {url!r} uses scheme {parsed.scheme or '(none)'!r}; only http and "
            "https pages can be fetched.",
            type="fetch.invalid_url",
        )
    if not host:
        raise FetchError(
            f"{what} {url!r} has no host name. Paste the full address, e.g. "
            "https://example.org/page.",
            type="fetch.invalid_url",
        )
    return parsed


def _host_problem(host: str, port: int | None) -> str | None:
    """Why a host name or port can never be reached (RFC 1035 labels of 1-63 characters,
    253 in all; ports 1-65535), or None. An IP address literal passes."""
    if port is not None and not 0 < port < 65536:
        return f"port {port} is out of range"
    if not host or ":" in host:  # none (reported later), or an IPv6 literal
        return None
    if any(c in host for c in "% \t\\"):  # a space arrives percent-encoded ("exa%20mple.com")
        return f"the host name {host!r} has characters no host name may have"
    name = host[:-1] if host.endswith(".") else host  # a trailing dot: the root, allowed
    if len(name) > 253:
        return "the host name is longer than 253 characters"
    labels = name.split(".")
    if any(not label for label in labels):
        return f"the host name {host!r} has an empty label"
    if any(len(label) > 63 for label in labels):
        return f"the host name {host!r} has a label longer than 63 characters"
    return None


def _redirect_location(response: httpx.Response) -> str | None:
    """The Location of a redirect response, or None when the response is final."""
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location")
    if not location:
        raise FetchError(
            f"{response.url} answered HTTP {response.status_code} (redirect) without a "
            "Location header. Open the page in a browser and paste the final URL.",
            type="fetch.http_status",
        )
    return location


def _join_location(base: httpx.URL, location: str) -> httpx.URL:
    """Resolve a (possibly relative) Location against the URL that sent it.

    httpx's own ``join`` (RFC 3986, like ``urljoin``) keeps parsing in one library;
    the security check does not depend on it anyway, as it runs at connect time.
    """
    try:
        return base.join(location)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(
            f"{base} redirected to a malformed URL {location!r} ({exc}).",
            type="fetch.invalid_url",
        ) from exc


def _hop_timeout(settings: Settings, deadline: float, url: httpx.URL) -> httpx.Timeout:
    """Per-hop timeouts, shrunk so no single phase can run past the overall deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(
            f"gave up on {url}: the whole fetch took longer than "
            f"{settings.total_timeout} s. The site is too slow; try again later.",
            type="fetch.timeout",
        )
    connect = min(settings.connect_timeout, remaining)
    read = min(settings.read_timeout, remaining)
    # Settings has no write/pool timeouts: a GET request is tiny, so a stalled write
    # means the peer stopped reading (same budget as a read); waiting for a pooled
    # connection is part of connecting.
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


# --- Response body ------------------------------------------------------------


def _read_response(response: httpx.Response, settings: Settings, deadline: float) -> Fetched:
    """Check status, type and size, then stream the body within the limits."""
    url = str(response.url)
    if response.status_code >= 400:
        raise FetchError(
            f"{url} answered HTTP {response.status_code} "
            f"{response.reason_phrase}. Check the URL; for 5xx codes try again later.",
            type="fetch.http_status",
        )
    if response.status_code in NOT_A_PAGE_STATUSES or response.status_code >= 300:
        # 204/205: nothing to read; 300/304/305: a choice or a cache answer, not the page.
        raise FetchError(
            f"{url} answered HTTP {response.status_code} {response.reason_phrase}, which is "
            "not a page to score. Open it in a browser and paste the URL of the page itself.",
            type="fetch.http_status",
        )

    header_type = response.headers.get("content-type", "")
    media_type = header_type.split(";", 1)[0].strip().lower()
    if media_type and media_type not in ALLOWED_CONTENT_TYPES:
        raise _unsupported(url, media_type)

    limit = settings.max_response_bytes
    declared = _content_length(response)
    if declared is not None and declared > limit:
        raise _too_large(url, limit, f"it declares {declared} bytes")

    decoder = _BoundedDecoder(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    sniffed = bool(media_type)
    for chunk in response.iter_raw():
        # Per-read timeouts cannot stop a server that drips one byte at a time;
        # only a wall-clock check between chunks can.
        if time.monotonic() > deadline:
            raise FetchError(
                f"gave up on {url}: the download took longer than "
                f"{settings.total_timeout} s. The site is too slow; try again later.",
                type="fetch.timeout",
            )
        room = limit - len(body)
        data = decoder.decode(chunk, room)
        if len(data) > room:
            raise _too_large(url, limit, "its body is larger once decompressed")
        body += data
        if not sniffed and len(body) >= _SNIFF_BYTES:
            media_type = _sniff(bytes(body[:_SNIFF_BYTES]), url)
            sniffed = True
    decoder.finish()
    if not sniffed:
        media_type = _sniff(bytes(body), url)

    return Fetched(
        url=url,
        status=response.status_code,
        content_type=media_type,
        # Lower-cased so callers can compare names; codecs ignore case anyway.
        charset=charset.lower() if (charset := response.charset_encoding) else None,
        body=bytes(body),
    )


def _content_length(response: httpx.Response) -> int | None:
    """The declared Content-Length, or None when absent or unparseable."""
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        # h11 already rejects malformed framing; the streaming cap still applies.
        return None


def _sniff(head: bytes, url: str) -> str:
    """Media type for a body sent without Content-Type: HTML or plain text, else refuse."""
    if head.startswith(_BINARY_SIGNATURES) or any(
        byte < 0x20 and byte not in _TEXT_CONTROL_BYTES for byte in head
    ):
        raise _unsupported(url, "binary data (no Content-Type)")
    lowered = head.lstrip().lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "text/html"
    return "text/plain"


def _unsupported(url: str, media_type: str) -> FetchError:
    return FetchError(
        f"{url} is {media_type}, not a web page. Only HTML and plain-text pages can be "
        "scored; paste the URL of the page itself, not of a file.",
        type="fetch.unsupported_content_type",
    )


def _too_large(url: str, limit: int, why: str) -> FetchError:
    return FetchError(
        f"{url} is larger than the {limit}-byte limit ({why}). Raise "
        "max_response_bytes if the page is legitimate.",
        type="fetch.too_large",
    )


class _BoundedDecoder:
    """Content-Encoding decoder that never inflates more than the caller has room for.

    httpx's ``iter_bytes()`` inflates each network chunk in full, and one 64 KiB chunk
    of a gzip bomb becomes ~64 MB before any size check can run. zlib's
    ``max_length`` stops inflation at the cap instead.
    """

    def __init__(self, header: str, url: str) -> None:
        self._url = url
        codings = [c.strip().lower() for c in header.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self._raw_fallback = codings == ["deflate"]
        self._fed = False
        self._zlib: zlib._Decompress | None
        if not codings:
            self._zlib = None
        elif codings in (["gzip"], ["x-gzip"]):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip wrapper
        elif codings == ["deflate"]:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)  # zlib wrapper
        else:
            raise FetchError(
                f"{url} used Content-Encoding {header!r}, which qualityscore does not "
                "decode (only gzip and deflate were requested).",
                type="fetch.decode_error",
            )

    def decode(self, data: bytes, room: int) -> bytes:
        """Inflate ``data``; a result longer than ``room`` means the body is too large."""
        if self._zlib is None:
            return data
        # One byte more than fits proves "too large" without inflating further.
        # (max_length must stay positive: 0 means "unlimited" to zlib.)
        max_length = room + 1
        try:
            out = self._zlib.decompress(data, max_length)
        except zlib.error as exc:
            if not (self._raw_fallback and not self._fed):
                raise self._broken(exc) from exc
            # Some servers send raw deflate without the zlib header (httpx does the same).
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                out = self._zlib.decompress(data, max_length)
            except zlib.error as raw_exc:
                raise self._broken(raw_exc) from raw_exc
        self._fed = True
        return out

    def finish(self) -> None:
        """Refuse a compressed body that ended before its end-of-stream marker."""
        if self._zlib is not None and self._fed and not self._zlib.eof:
            raise self._broken("compressed stream ended early")

    def _broken(self, reason: object) -> FetchError:
        return FetchError(
            f"could not decompress the response from {self._url} ({reason}). The server "
            "sent a broken compressed body; try again later.",
            type="fetch.decode_error",
        )


# --- Connecting: the SSRF guard ------------------------------------------------


def _is_metadata_address(ip: IPAddress) -> bool:
    """A cloud provider's instance-metadata service (credentials live there), in any of
    its IPv6 spellings. Blocked even with ``allow_private``: no intranet page is there."""
    if ip in CLOUD_METADATA_ADDRESSES:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour]
        if ip in _NAT64_PREFIX:
            embedded.append(ipaddress.IPv4Address(int(ip) & _IPV4_MASK))
        return any(inner is not None and inner in CLOUD_METADATA_ADDRESSES for inner in embedded)
    return False


def _is_blocked_address(ip: IPAddress) -> bool:
    """True for addresses a fetch must never reach: anything not on the public internet."""
    if ip in CLOUD_METADATA_ADDRESSES:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4-mapped address *is* its IPv4 host on a dual-stack socket.
        if ip.ipv4_mapped is not None:
            return _is_blocked_address(ip.ipv4_mapped)
        # Translation prefixes route to an embedded IPv4 host: judge that host too.
        embedded = [ip.sixtofour]
        if ip in _NAT64_PREFIX:
            embedded.append(ipaddress.IPv4Address(int(ip) & _IPV4_MASK))
        if any(inner is not None and _is_blocked_address(inner) for inner in embedded):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # Catches what the named checks miss, e.g. 100.64.0.0/10 (carrier NAT).
        or not ip.is_global
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to, in resolver order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"could not resolve host {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise httpcore.ConnectError(f"host {host!r} resolved to no addresses")
    return addresses


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore network backend that resolves, vets and connects in one step.

    Because the IP that is checked is the IP that is connected to, a second DNS
    answer (rebinding) cannot slip a private address past the check. TLS still
    uses the hostname: httpcore passes the origin host to ``start_tls`` as SNI
    and for certificate checking, independently of the address connected to.
    """

    def __init__(self, *, allow_private: bool, deadline: float | None = None) -> None:
        self._allow_private = allow_private
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port)
        metadata = [str(a) for a in addresses if _is_metadata_address(a)]
        if metadata:
            raise FetchError(
                f"refused to connect to {host} ({', '.join(metadata)}): a cloud "
                "instance-metadata address, blocked even with --allow-private",
                type="fetch.blocked_address",
            )
        if not self._allow_private:
            # Refuse if *any* answer is internal, not just the first: the resolver's
            # order is the attacker's to choose.
            blocked = [str(a) for a in addresses if _is_blocked_address(a)]
            if blocked:
                raise FetchError(
                    f"refused to connect to {host} ({', '.join(blocked)}): private, "
                    "loopback, link-local, reserved and cloud-metadata addresses are "
                    "blocked. Only public web pages can be fetched; for an intranet page "
                    "you trust, pass --allow-private (setting allow_private=True).",
                    type="fetch.blocked_address",
                )
        started = time.monotonic()
        last_error: Exception | None = None
        for address in addresses:
            # The connect timeout covers all attempts, not each one.
            remaining = None if timeout is None else timeout - (time.monotonic() - started)
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
            try:
                # Connect to the vetted IP literal so no second lookup can happen.
                stream = super().connect_tcp(
                    str(address), port, remaining, local_address, socket_options
                )
                return stream if self._deadline is None else _DeadlineStream(stream, self._deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # _resolve never returns an empty list
        raise last_error


class _DeadlineStream(httpcore.NetworkStream):
    """A connection that no read, write or TLS handshake may outlast the fetch's deadline.

    Per-read timeouts alone cannot stop a server that drips its response one byte at a
    time, each inside the read timeout: the body loop checks the clock between chunks,
    but the status line and headers are read inside httpcore, before any chunk. Every
    operation here gets at most the time left, and none starts once it is gone.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the whole fetch took longer than its total timeout")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,  # type: ignore[no-untyped-def]
                  timeout: float | None = None) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str):  # type: ignore[no-untyped-def]
        return self._stream.get_extra_info(info)


class _HandRedirectClient(httpx.Client):
    """``fetch`` follows redirects by hand, checking each target (``_join_location``,
    ``_parse_url``). httpx still builds the next request of a redirect response it does
    not follow, and a malformed Location ("http://[::1", "javascript:...") raised there,
    inside ``stream``, as a connection failure or as an invalid *original* URL. Nothing
    here reads ``next_request``; if httpx renames this hook, its own behaviour returns
    (the messages, not the safety, get worse)."""

    def _build_redirect_request(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        return request


def _make_client(settings: Settings, deadline: float | None = None) -> httpx.Client:
    """An httpx client whose every connection goes through ``_GuardedBackend`` (and,
    with a ``deadline`` from ``time.monotonic``, ends every network operation by then)."""
    transport = httpx.HTTPTransport(retries=0)
    # httpx 0.28 has no public way to pass an httpcore network backend, so it is set
    # on the pool directly. Fail closed if httpx's internals ever change shape.
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError(
            "qualityscore cannot install its address guard in this httpx/httpcore "
            "version; refusing to fetch without it."
        )
    pool._network_backend = _GuardedBackend(allow_private=settings.allow_private, deadline=deadline)
    return _HandRedirectClient(
        transport=transport,
        follow_redirects=False,
        # No proxies, .netrc credentials or SSL env overrides from the environment:
        # a proxy would make the address check meaningless.
        trust_env=False,
        headers={
            "User-Agent": settings.user_agent.replace("{version}", _version()),
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
    )


def _version() -> str:
    """The package version for the User-Agent; the package may be mid-construction."""
    try:
        from qualityscore import __version__
    except ImportError:
        return "0"
    return str(__version__)


def _describe(exc: BaseException) -> str:
    """Exception text for messages; some httpx errors stringify to an empty string."""
    return str(exc) or type(exc).__name__
