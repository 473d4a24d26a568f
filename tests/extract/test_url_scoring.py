"""`qualityscore score URL ...` end to end against a real local HTTP server.

The fetcher's own cases (timeouts, bombs, redirects, address checks) are in
test_fetch.py; here: URLs mixed with files in one run, per-URL error lines with stable
types, exit code 2, and the other inputs still scored.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from qs_testkit import EXAMPLES

from qualityscore.cli import main

PAGE = """<!DOCTYPE html><html><head><title>Sleep and shift work</title></head><body>
<article><h1>Sleep and shift work</h1>
<p>People who work night shifts often sleep less and less deeply. Keeping the bedroom dark
and quiet, and going to bed at the same time after each shift, helps many of them.</p>
<p>Talk to your doctor if tiredness makes driving unsafe or lasts for weeks.</p>
</article></body></html>"""


def _rows(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture()
def site(httpserver):  # type: ignore[no-untyped-def]
    httpserver.expect_request("/article").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/missing").respond_with_data("gone", status=404)
    httpserver.expect_request("/report.pdf").respond_with_data(b"%PDF-1.4 ...", content_type="application/pdf")
    httpserver.expect_request("/bad-charset").respond_with_data(
        PAGE.replace("Sleep", "Sl\u00e9ep").encode("latin-1"), content_type="text/html; charset=x-no-such-charset"
    )
    httpserver.expect_request("/to-metadata").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    return httpserver


def test_urls_and_files_in_one_run(site) -> None:  # type: ignore[no-untyped-def]
    leaflet = str(EXAMPLES / "leaflet.txt")
    urls = [site.url_for("/article"), site.url_for("/missing"), site.url_for("/report.pdf")]
    res = CliRunner().invoke(
        main, ["score", "--format", "json", "--allow-private", urls[0], leaflet, urls[1], urls[2]]
    )
    assert res.exit_code == 2, res.output
    rows = _rows(res.output)
    assert [r["source"] for r in rows] == [urls[0], leaflet, urls[1], urls[2]]
    assert rows[0]["error"] is None and rows[0]["decision"] == "ok"
    assert rows[1]["error"] is None
    assert rows[2]["error"]["type"] == "fetch.http_status" and rows[2]["score"] is None
    assert rows[3]["error"]["type"] == "fetch.unsupported_content_type"


def test_private_addresses_refused_by_default(site) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(main, ["score", "--format", "json", site.url_for("/article")])
    assert res.exit_code == 2
    assert _rows(res.output)[0]["error"]["type"] == "fetch.blocked_address"
    assert "--allow-private" in _rows(res.output)[0]["error"]["message"]


def test_redirect_to_cloud_metadata_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    """Even with --allow-private for the test server, a hop to the metadata address fails
    fast with a clear error (refused or unreachable), never a score."""
    res = CliRunner().invoke(main, ["score", "--format", "json", site.url_for("/to-metadata")])
    row = _rows(res.output)[0]
    assert res.exit_code == 2
    assert row["error"]["type"] == "fetch.blocked_address" and row["decision"] is None


def test_allow_private_still_refuses_cloud_metadata(site) -> None:  # type: ignore[no-untyped-def]
    """--allow-private opens the intranet, not the instance-metadata service."""
    res = CliRunner().invoke(
        main, ["score", "--format", "json", "--allow-private", site.url_for("/to-metadata")]
    )
    row = _rows(res.output)[0]
    assert res.exit_code == 2
    assert row["error"]["type"] == "fetch.blocked_address", row["error"]
    assert "even with --allow-private" in row["error"]["message"]


def test_metadata_address_in_every_spelling() -> None:
    import ipaddress

    from qualityscore.extract.fetch import _is_metadata_address

    for spelling in ("169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                     "2002:a9fe:a9fe::1", "fd00:ec2::254"):
        assert _is_metadata_address(ipaddress.ip_address(spelling)), spelling
    for other in ("10.0.0.5", "169.254.1.1", "::1", "93.184.216.34"):
        assert not _is_metadata_address(ipaddress.ip_address(other)), other


def test_error_in_table_output(site) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(main, ["score", "--allow-private", site.url_for("/missing")])
    assert res.exit_code == 2
    assert "fetch.http_status" in res.output and "Traceback" not in res.output


def test_unknown_charset_still_scores(site) -> None:  # type: ignore[no-untyped-def]
    """A page declaring a charset that does not exist is decoded by detection, not refused."""
    res = CliRunner().invoke(main, ["score", "--format", "json", "--allow-private", site.url_for("/bad-charset")])
    row = _rows(res.output)[0]
    assert res.exit_code == 0, row
    assert row["error"] is None and row["score"] is not None
