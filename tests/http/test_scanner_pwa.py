"""The scanner as an installable app: manifest, service worker, site favicon."""

from app.extensions import db
from tests.factories import make_event


def status_of(client, path: str) -> int:
    with client.get(path) as response:  # static files: close what was opened
        return response.status_code


def test_manifest_names_the_event_and_starts_on_its_scanner(client, app):
    make_event(slug="conf", title="Productivity Journey")
    make_event(slug="secret-draft", title="Unannounced merger summit", status="draft")
    db.session.commit()

    response = client.get("/checkin/conf/manifest.webmanifest")  # no sign-in: browsers send none

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    data = response.get_json()
    assert data["name"] == "Scanner · Productivity Journey"
    assert data["start_url"] == "/checkin/conf"
    assert data["scope"] == "/checkin/"
    assert data["display"] == "standalone"
    assert {(i["src"], i["sizes"]) for i in data["icons"]} >= {
        ("/static/icons/icon-192.png", "192x192"),
        ("/static/icons/icon-512.png", "512x512"),
    }
    for icon in data["icons"]:
        assert status_of(client, icon["src"]) == 200
    draft = client.get("/checkin/secret-draft/manifest.webmanifest").get_json()
    assert draft["name"] == "Scanner · Journey scanner"
    assert "merger" not in client.get("/checkin/secret-draft/manifest.webmanifest").text


def test_service_worker_caches_the_scanner_shell(client, app):
    response = client.get("/checkin/sw.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    for asset in (
        "/static/js/scanner.js",
        "/static/js/door-store.js",
        "/static/vendor/jsqr/jsQR.js",
        "/static/vendor/bootstrap/bootstrap.min.css",
    ):
        assert f'"{asset}"' in body
        assert status_of(client, asset) == 200
    assert 'var SCOPE = "/checkin";' in body
    assert "journey-scanner-" in body


def test_every_page_has_a_favicon(client, app):
    home = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/icons/favicon.svg" type="image/svg+xml">' in home
    with client.get("/favicon.ico") as ico:
        assert ico.status_code == 200
        assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert status_of(client, "/static/icons/favicon.svg") == 200
