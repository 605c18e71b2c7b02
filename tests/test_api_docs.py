"""/docs and /redoc work offline: every script, style and icon they reference is served by the
app itself, no page names another host, and the browser is told to fetch from nowhere else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

# Any URL with a host of its own, also protocol-relative (//cdn.example/x.js) or inside a script.
ABSOLUTE_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^\s'\"<>/]+", re.IGNORECASE)
OPENAPI_URL = re.compile(r"""(?:url|spec-url)\s*[:=]\s*['"]([^'"]+)['"]""")


class References(HTMLParser):
    """Every src and href of a page, and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url", "action", "poster", "data") and value:
                self.urls.append(value)
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("docs") / "var"
    settings = Settings(data_dir=data_dir, database_url=None, _env_file=None)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_another_host(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    found = References()
    found.feed(html)
    # Every asset the page references, and the OpenAPI document its script loads.
    scripts = "\n".join(found.scripts)
    urls = found.urls + OPENAPI_URL.findall(scripts) + OPENAPI_URL.findall(html)
    assert any(u.endswith(".js") for u in urls), urls
    assert any(u.endswith("openapi.json") for u in urls), urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} references {url}"
    assert ABSOLUTE_URL.findall(html) == [], f"{page} names another host"

    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert not ABSOLUTE_URL.findall(policy) and "*" not in policy

    for url in urls:
        asset = client.get(urljoin(f"http://testserver{page}", url))
        assert asset.status_code == 200, url
        assert asset.content, url
        kind = asset.headers["content-type"]
        if url.endswith(".js"):
            assert "javascript" in kind, (url, kind)
        elif url.endswith(".css"):
            assert kind.startswith("text/css"), (url, kind)
        elif url.endswith(".png"):
            assert kind == "image/png"
        elif url.endswith(".json"):
            assert asset.json()["openapi"].startswith("3.")


def test_the_assets_are_the_real_bundles(client: TestClient) -> None:
    swagger = client.get("/docs/assets/swagger-ui-bundle.js")
    assert swagger.status_code == 200 and "SwaggerUIBundle" in swagger.text
    assert len(swagger.content) > 500_000
    redoc = client.get("/docs/assets/redoc.standalone.js")
    assert redoc.status_code == 200 and "Redoc" in redoc.text and len(redoc.content) > 500_000
    assert client.get("/docs/assets/../pyproject.toml").status_code == 404
    assert client.get("/docs/assets/nothing.js").status_code == 404


def test_swagger_ui_asks_no_online_validator(client: TestClient) -> None:
    html = client.get("/docs").text
    assert '"validatorUrl": null' in html
    # The asset mount and the pages are not operations of the API.
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)
