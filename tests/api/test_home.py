"""GET / without a key leads a person to the docs and the board instead of a 403."""

from __future__ import annotations

import httpx


def test_home_page_needs_no_key_and_links_the_docs_and_the_board(anonymous: httpx.Client) -> None:
    response = anonymous.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ('href="/docs"', 'href="/redoc"', 'href="/board"'):
        assert link in response.text


def test_docs_assets_come_from_this_server(anonymous: httpx.Client) -> None:
    for page in ("/docs", "/redoc"):
        html = anonymous.get(page).text
        assert "cdn." not in html
        assert "/static-offline-docs/" in html
    assert anonymous.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert anonymous.get("/static-offline-docs/redoc.standalone.js").status_code == 200
    assert "img-src 'self'" in anonymous.get("/redoc").headers["content-security-policy"]


def test_static_prefixes_do_not_open_anything_else(anonymous: httpx.Client) -> None:
    assert anonymous.get("/board/static/../users").status_code in (403, 404)
    assert anonymous.get("/board/state").status_code == 403
