"""Tests for qualityscore.extract.fetch against real local servers (no internet).

Most tests use pytest-httpserver. Tests that need byte-level control (slow drip,
stalls, missing Content-Type, TLS) use a small ``http.server`` in a thread whose
handler threads are daemons, so a stalled handler never blocks teardown.
"""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpcore
import pytest
from pytest_httpserver import HTTPServer

from qualityscore.errors import FetchError
from qualityscore.extract import fetch as fetch_module
from qualityscore.extract.fetch import ACCEPT, Fetched, fetch
from qualityscore.settings import Settings

HTML = b"<!DOCTYPE html><html><head><title>t</title></head><body>Hello</body></html>"

# Small limits keep every test to a fraction of a second (the slowest waits ~1 s).
LOCAL = Settings(
    allow_private=True,
    connect_timeout=1.0,
    read_timeout=2.0,
    total_timeout=5.0,
    max_redirects=3,
    max_response_bytes=100_000,
)
PUBLIC_ONLY = Settings(
    allow_private=False,
    connect_timeout=1.0,
    read_timeout=2.0,
    total_timeout=5.0,
    max_redirects=3,
    max_response_bytes=100_000,
)


def local(**changes: object) -> Settings:
    return LOCAL.with_options(**changes)


def fetch_error(url: str, settings: Settings) -> FetchError:
    """Run a fetch that must fail and return its error."""
    with pytest.raises(FetchError) as info:
        fetch(url, settings)
    return info.value


# --- A raw HTTP server for byte-level scenarios --------------------------------

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class RawServer:
    """Threaded http.server with per-path handlers; records each requested path."""

    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def url(self, path: str, *, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


def _start(raw: RawServer, ssl_context: ssl.SSLContext | None = None) -> Iterator[RawServer]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            raw.requests.append(self.path)
            handler = raw.routes.get(self.path)
            try:
                if handler is None:
                    self.send_error(404)
                else:
                    handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, which is what several tests expect

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    server.daemon_threads = True
    server.block_on_close = False  # stalled handlers must not hold up teardown
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    raw.server = server
    # A short poll interval keeps shutdown (and so each test's teardown) quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield raw
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    yield from _start(RawServer())


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    headers: dict[str, str],
    *,
    status: int = 200,
    length: bool = True,
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    else:
        # No length: the body ends when the connection closes.
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


# --- Success -------------------------------------------------------------------


def test_html_success(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data(
        HTML, content_type="text/html; charset=utf-8"
    )
    result = fetch(httpserver.url_for("/page"), LOCAL)
    assert result == Fetched(
        url=httpserver.url_for("/page"),
        status=200,
        content_type="text/html",
        charset="utf-8",
        body=HTML,
    )


def test_sends_user_agent_and_accept(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(HTML, content_type="text/html")
    fetch(httpserver.url_for("/"), LOCAL)
    request, _response = httpserver.log[0]
    assert request.headers["User-Agent"].startswith("qualityscore/")
    assert "{version}" not in request.headers["User-Agent"]
    assert request.headers["Accept"] == ACCEPT == "text/html, text/plain;q=0.9"
    # Only encodings fetch can inflate with a cap may be advertised.
    assert request.headers["Accept-Encoding"] == "gzip, deflate"


def test_plain_text_with_charset(httpserver: HTTPServer) -> None:
    body = "Caf\xe9 au lait".encode("latin-1")
    httpserver.expect_request("/t.txt").respond_with_data(
        body, content_type="Text/Plain; Charset=ISO-8859-1"
    )
    result = fetch(httpserver.url_for("/t.txt"), LOCAL)
    assert result.content_type == "text/plain"
    assert result.charset == "iso-8859-1"  # normalised: charset names ignore case
    assert result.body == body


def test_xhtml_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data(HTML, content_type="application/xhtml+xml")
    assert fetch(httpserver.url_for("/x"), LOCAL).content_type == "application/xhtml+xml"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw, as some servers send
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_body_is_decoded(
    httpserver: HTTPServer, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    httpserver.expect_request("/z").respond_with_data(
        compress(HTML), content_type="text/html", headers={"Content-Encoding": encoding}
    )
    assert fetch(httpserver.url_for("/z"), LOCAL).body == HTML


@pytest.mark.parametrize(
    ("body", "expected"),
    [(HTML, "text/html"), (b"Just some words.\nAnd more.\n", "text/plain")],
    ids=["html", "text"],
)
def test_missing_content_type_is_sniffed(raw_server: RawServer, body: bytes, expected: str) -> None:
    raw_server.routes["/"] = lambda h: send(h, body, {})
    result = fetch(raw_server.url("/"), LOCAL)
    assert (result.content_type, result.charset, result.body) == (expected, None, body)


def test_missing_content_type_binary_refused(raw_server: RawServer) -> None:
    raw_server.routes["/"] = lambda h: send(h, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", {})
    assert fetch_error(raw_server.url("/"), LOCAL).type == "fetch.unsupported_content_type"


# --- Redirects -----------------------------------------------------------------


def test_redirect_chain_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(
        "",
        status=302,
        headers={"Location": "/b"},  # relative
    )
    httpserver.expect_request("/b").respond_with_data(
        "",
        status=301,
        headers={"Location": httpserver.url_for("/c")},  # absolute
    )
    httpserver.expect_request("/c").respond_with_data(
        "",
        status=307,
        headers={"Location": "d"},  # relative to /c's directory
    )
    httpserver.expect_request("/d").respond_with_data(HTML, content_type="text/html")
    result = fetch(httpserver.url_for("/a"), LOCAL)
    assert result.url == httpserver.url_for("/d")
    assert result.body == HTML


def test_too_many_redirects(httpserver: HTTPServer) -> None:
    for hop in range(4):
        httpserver.expect_request(f"/r{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/r{hop + 1}"}
        )
    httpserver.expect_request("/r4").respond_with_data(HTML, content_type="text/html")
    error = fetch_error(httpserver.url_for("/r0"), local(max_redirects=2))
    assert error.type == "fetch.too_many_redirects"
    # Exactly max_redirects hops were followed: the original request plus two.
    assert [request.path for request, _ in httpserver.log] == ["/r0", "/r1", "/r2"]


def test_redirect_loop_ends(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    assert fetch_error(httpserver.url_for("/loop"), LOCAL).type == "fetch.too_many_redirects"


@pytest.mark.parametrize("target", ["ftp://example.org/x", "file:///etc/passwd"])
def test_redirect_to_other_scheme_refused(httpserver: HTTPServer, target: str) -> None:
    httpserver.expect_request("/").respond_with_data("", status=302, headers={"Location": target})
    assert fetch_error(httpserver.url_for("/"), LOCAL).type == "fetch.invalid_url"


# --- SSRF guard ------------------------------------------------------------------


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a TCP connection is actually opened to, in order.

    The guarded backend connects through ``httpcore.SyncBackend.connect_tcp`` with a
    vetted IP literal, so spying there shows whether a refused hop ever hit the wire.
    """
    opened: list[str] = []
    original = httpcore.SyncBackend.connect_tcp

    def spy(self: httpcore.SyncBackend, host: str, port: int, *args: object, **kw: object):
        opened.append(host)
        return original(self, host, port, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", spy)
    return opened


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the loopback test server as a public site, keeping every other check.

    ``allow_private`` is all-or-nothing, so without this no test could show a
    redirect from a reachable server to an internal address being refused.
    """
    original = fetch_module._is_blocked_address
    monkeypatch.setattr(
        fetch_module, "_is_blocked_address", lambda ip: not ip.is_loopback and original(ip)
    )


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under ``.test`` resolve to whatever the test puts in the returned dict."""
    answers: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kw: object) -> list:
        if not host.endswith(".test"):
            return real_getaddrinfo(host, port, *args, **kw)  # type: ignore[arg-type]
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433"])
def test_first_request_to_loopback_refused(
    httpserver: HTTPServer, connections: list[str], host: str
) -> None:
    httpserver.expect_request("/").respond_with_data(HTML, content_type="text/html")
    error = fetch_error(f"http://{host}:{httpserver.port}/", PUBLIC_ONLY)
    assert error.type == "fetch.blocked_address"
    assert "blocked" in str(error)
    assert connections == []
    assert httpserver.log == []


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://192.168.1.1:8080/admin",
    ],
)
def test_redirect_to_internal_address_refused(
    httpserver: HTTPServer, connections: list[str], loopback_is_public: None, target: str
) -> None:
    httpserver.expect_request("/").respond_with_data("", status=302, headers={"Location": target})
    started = time.monotonic()
    error = fetch_error(httpserver.url_for("/"), PUBLIC_ONLY)
    assert error.type == "fetch.blocked_address"
    # Refused by the address check, not by a connect timeout to an unroutable host.
    assert time.monotonic() - started < PUBLIC_ONLY.connect_timeout
    assert connections and all(ipaddress.ip_address(h).is_loopback for h in connections)


def test_redirect_to_name_resolving_internal_refused(
    httpserver: HTTPServer,
    connections: list[str],
    loopback_is_public: None,
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["internal.test"] = ["10.1.2.3"]
    httpserver.expect_request("/").respond_with_data(
        "", status=302, headers={"Location": "http://internal.test/"}
    )
    assert fetch_error(httpserver.url_for("/"), PUBLIC_ONLY).type == "fetch.blocked_address"
    assert "10.1.2.3" not in connections


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::1"]],
    ids=["rebound-to-loopback", "mixed-public-and-private", "ipv6-loopback"],
)
def test_name_resolving_to_private_address_refused(
    fake_dns: dict[str, list[str]], connections: list[str], answers: list[str]
) -> None:
    # The URL's host looks harmless; only the resolved address, checked at
    # connect time, reveals the target (DNS rebinding).
    fake_dns["innocent.test"] = answers
    error = fetch_error("http://innocent.test/", PUBLIC_ONLY)
    assert error.type == "fetch.blocked_address"
    assert connections == []


def test_allow_private_reaches_resolved_name(
    httpserver: HTTPServer, fake_dns: dict[str, list[str]], connections: list[str]
) -> None:
    fake_dns["site.test"] = ["127.0.0.1"]
    httpserver.expect_request("/").respond_with_data(HTML, content_type="text/html")
    result = fetch(f"http://site.test:{httpserver.port}/", LOCAL)
    assert result.body == HTML
    assert connections == ["127.0.0.1"]  # the vetted IP, not the name, is dialled
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == f"site.test:{httpserver.port}"


@pytest.mark.parametrize(
    "address",
    """
    127.0.0.1 10.0.0.1 172.16.5.4 192.168.1.1 169.254.169.254 169.254.1.1 100.64.0.1
    0.0.0.0 224.0.0.1 240.0.0.1 255.255.255.255 ::1 :: fe80::1 fc00::1 fd00:ec2::254
    ff02::1 ::ffff:127.0.0.1 ::ffff:169.254.169.254 ::ffff:10.0.0.1 64:ff9b::a00:1
    2002:a00:1::1
    """.split(),
)
def test_blocked_addresses(address: str) -> None:
    assert fetch_module._is_blocked_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_allowed(address: str) -> None:
    assert not fetch_module._is_blocked_address(ipaddress.ip_address(address))


# --- Invalid URLs ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:6379/_INFO",
        "not a url",
        "",
        "http://",
        "http:///path-only",
        "https://xn--zz-.com/",  # an IDNA label that cannot decode
        "http://ex..com/",
        "http://.com/",
        "http://" + "a" * 64 + ".com/",
        "http://" + "abc." * 64 + "com/",  # 259 characters
        "http://example.com:99999/",
        "http://exa mple.com/",  # a space in the host name
    ],
)
def test_invalid_url(url: str, connections: list[str]) -> None:
    error = fetch_error(url, LOCAL)
    assert error.type == "fetch.invalid_url"
    assert connections == []


def test_a_host_name_at_the_limits_is_tried() -> None:
    from qualityscore.extract.fetch import _host_problem

    assert _host_problem("a" * 63 + ".example.org", 443) is None
    assert _host_problem("example.org.", None) is None  # the root's dot
    assert _host_problem("::1", 8080) is None and _host_problem("93.184.216.34", 1) is None


@pytest.mark.parametrize("status", [204, 205, 300, 304])
def test_an_answer_that_is_not_a_page_is_an_http_status_error(raw_server: RawServer, status: int) -> None:
    """204/205 carry nothing and 300/304 a choice or a cache answer: never "an empty
    page" (input.empty), nor a page to score (a 300's body was scored ok)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = b"" if status in (204, 205, 304) else HTML
        send(handler, body, {"Content-Type": "text/html"}, status=status, length=bool(body))

    raw_server.routes["/odd"] = answer
    error = fetch_error(raw_server.url("/odd"), LOCAL)
    assert error.type == "fetch.http_status"
    assert f"HTTP {status}" in error.message


@pytest.mark.parametrize(("location", "named"), [
    ("http://[::1", "http://[::1"),  # not a URL at all
    ("javascript:alert(1)", "javascript"),  # not a web URL
])
def test_a_malformed_redirect_target_is_an_invalid_url_naming_the_target(
    raw_server: RawServer, location: str, named: str
) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        send(handler, b"", {"Location": location}, status=302)

    raw_server.routes["/bad-redirect"] = redirect
    error = fetch_error(raw_server.url("/bad-redirect"), LOCAL)
    assert error.type == "fetch.invalid_url", error.message
    assert named in error.message


def test_non_string_url() -> None:
    assert fetch_error(b"http://example.org/", LOCAL).type == "fetch.invalid_url"  # type: ignore[arg-type]


# --- Timeouts ----------------------------------------------------------------------


def test_slow_drip_hits_total_timeout(raw_server: RawServer) -> None:
    drip_interval = 0.2  # well under read_timeout, so only the total deadline can fire
    settings = local(total_timeout=1.0, read_timeout=2.0)

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        # Drip for a bounded while, then hang up mid-body, so a missing deadline
        # fails this test quickly (as a connection error) instead of hanging it.
        for _ in range(round(3 * settings.total_timeout / drip_interval)):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(drip_interval)
        handler.close_connection = True

    _assert_stopped_at_the_total_timeout(raw_server, "/drip", drip, settings, drip_interval)


def _assert_stopped_at_the_total_timeout(raw_server: RawServer, path: str, handler: Handler,
                                         settings: Settings, drip_interval: float) -> None:
    raw_server.routes[path] = handler
    started = time.monotonic()
    error = fetch_error(raw_server.url(path), settings)
    elapsed = time.monotonic() - started
    assert error.type == "fetch.timeout"
    assert settings.total_timeout <= elapsed < settings.total_timeout + 3 * drip_interval


def test_headers_dripped_byte_by_byte_hit_total_timeout(raw_server: RawServer) -> None:
    """The status line and headers are read inside httpcore, before the body loop's clock
    check: a server dripping them one byte at a time, each inside read_timeout, held a
    fetch indefinitely. Every network operation now ends by the total deadline."""
    drip_interval = 0.2
    settings = local(total_timeout=1.0, read_timeout=2.0)

    def drip_headers(handler: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 100
        for i in range(len(head)):  # 20 s of headers if nothing stops it
            handler.wfile.write(head[i : i + 1])
            handler.wfile.flush()
            time.sleep(drip_interval)
        handler.close_connection = True

    _assert_stopped_at_the_total_timeout(raw_server, "/drip-headers", drip_headers, settings, drip_interval)


def test_read_timeout(raw_server: RawServer) -> None:
    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(2.0)
        send(handler, HTML, {"Content-Type": "text/html"})

    raw_server.routes["/stall"] = stall
    settings = local(read_timeout=0.3, total_timeout=5.0)
    started = time.monotonic()
    error = fetch_error(raw_server.url("/stall"), settings)
    assert error.type == "fetch.timeout"
    assert time.monotonic() - started < 1.5


def test_total_timeout_caps_read_timeout(raw_server: RawServer) -> None:
    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(2.0)
        send(handler, HTML, {"Content-Type": "text/html"})

    raw_server.routes["/stall"] = stall
    started = time.monotonic()
    error = fetch_error(raw_server.url("/stall"), local(read_timeout=5.0, total_timeout=0.5))
    assert error.type == "fetch.timeout"
    assert time.monotonic() - started < 1.5


# --- Size limits -------------------------------------------------------------------


def test_declared_content_length_too_large(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2_000, content_type="text/plain")
    error = fetch_error(httpserver.url_for("/big"), local(max_response_bytes=1_000))
    assert error.type == "fetch.too_large"
    assert "declares 2000" in str(error)


def test_streamed_body_too_large(raw_server: RawServer) -> None:
    # No Content-Length, so only the streaming cap can catch it.
    raw_server.routes["/big"] = lambda h: send(
        h, b"x" * 5_000, {"Content-Type": "text/plain"}, length=False
    )
    error = fetch_error(raw_server.url("/big"), local(max_response_bytes=1_000))
    assert error.type == "fetch.too_large"


def test_body_exactly_at_limit_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(b"x" * 1_000, content_type="text/plain")
    assert len(fetch(httpserver.url_for("/"), local(max_response_bytes=1_000)).body) == 1_000


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzipped (~50 KB), built in pieces to keep test memory low."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(50)]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_gzip_bomb_stops_early(raw_server: RawServer, gzip_bomb: bytes) -> None:
    limit = 1024 * 1024
    # A bare http.server, so the memory measured below is the client's, not werkzeug's.
    raw_server.routes["/bomb"] = lambda h: send(
        h, gzip_bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )
    tracemalloc.start()
    started = time.monotonic()
    try:
        error = fetch_error(raw_server.url("/bomb"), local(max_response_bytes=limit))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.type == "fetch.too_large"
    assert time.monotonic() - started < 2.0
    # Inflation stops at the cap: far from the 50 MB a naive decoder would produce.
    assert peak < 8 * limit


@pytest.mark.parametrize(
    "body",
    [b"this is not gzip at all", gzip.compress(HTML)[:-12]],
    ids=["garbage", "truncated"],
)
def test_broken_gzip(httpserver: HTTPServer, body: bytes) -> None:
    httpserver.expect_request("/").respond_with_data(
        body, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    assert fetch_error(httpserver.url_for("/"), LOCAL).type == "fetch.decode_error"


def test_unknown_content_encoding(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(
        b"\x00\x01", content_type="text/html", headers={"Content-Encoding": "br"}
    )
    assert fetch_error(httpserver.url_for("/"), LOCAL).type == "fetch.decode_error"


# --- Status and content type -------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/").respond_with_data(
        "<html>error</html>", status=status, content_type="text/html"
    )
    error = fetch_error(httpserver.url_for("/"), LOCAL)
    assert error.type == "fetch.http_status"
    assert str(status) in str(error)


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "image/png", "application/octet-stream"]
)
def test_unsupported_content_type(httpserver: HTTPServer, content_type: str) -> None:
    httpserver.expect_request("/file").respond_with_data(b"\x89PNG\r\n", content_type=content_type)
    error = fetch_error(httpserver.url_for("/file"), LOCAL)
    assert error.type == "fetch.unsupported_content_type"
    assert content_type in str(error)


# --- Connection failures and TLS -------------------------------------------------


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    assert fetch_error(f"http://127.0.0.1:{port}/", LOCAL).type == "fetch.connection_failed"


def test_dns_failure(fake_dns: dict[str, list[str]]) -> None:
    error = fetch_error("http://does-not-exist.test/", LOCAL)
    assert error.type == "fetch.connection_failed"
    assert "resolve" in str(error)


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` (needs the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not available")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            *"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1".split(),
            *"-subj /CN=localhost -addext subjectAltName=DNS:localhost".split(),
            *["-keyout", str(key), "-out", str(cert)],
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )
    return cert, key


@pytest.fixture
def tls_server(tls_cert: tuple[Path, Path]) -> Iterator[tuple[RawServer, list[str | None]]]:
    """An HTTPS server for ``localhost`` that records the SNI name of each handshake."""
    cert, key = tls_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: sni_names.append(name)
    raw = RawServer()
    raw.routes["/"] = lambda h: send(h, HTML, {"Content-Type": "text/html"})
    for server in _start(raw, context):
        yield server, sni_names


def test_https_uses_hostname_for_sni_and_verification(
    tls_server: tuple[RawServer, list[str | None]],
    tls_cert: tuple[Path, Path],
    connections: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, sni_names = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert[0]))  # trust the test CA only
    result = fetch(server.url("/", scheme="https", host="localhost"), LOCAL)
    assert result.body == HTML
    # Dialled the vetted IP, yet TLS still named (and verified) the host.
    assert connections == ["127.0.0.1"]
    assert sni_names == ["localhost"]


def test_untrusted_certificate_fails(tls_server: tuple[RawServer, list[str | None]]) -> None:
    server, _ = tls_server
    error = fetch_error(server.url("/", scheme="https", host="localhost"), LOCAL)
    assert error.type == "fetch.connection_failed"


def test_tls_to_plain_http_server_fails() -> None:
    # A server that answers the TLS ClientHello with plain HTTP: a TLS error, at once.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_once() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        error = fetch_error(f"https://127.0.0.1:{port}/", LOCAL)
    finally:
        thread.join(timeout=LOCAL.connect_timeout)
        listener.close()
    assert error.type == "fetch.connection_failed"
