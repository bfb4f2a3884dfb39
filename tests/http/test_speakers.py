"""Speaker pages: public list and profile, photos with cache headers, organiser and self edits."""

from datetime import timedelta
from io import BytesIO

from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.events.models import Speaker
from app.extensions import db
from tests.factories import make_event, make_session, make_speaker, make_user, organiser
from tests.factories_agenda import image_bytes


def _speaker_form(**kw):
    data = {
        "name": "Ann Example",
        "job_title": "Director",
        "organisation": "Fenwright CAD",
        "bio": "Ann **leads** things.",
        "links": "Blog | https://ann.example",
        "slug": "",
        "user_email": "",
    }
    data.update(kw)
    return data


def _multipart(data: dict) -> dict:
    """Encode in memory: large test uploads would otherwise leave temporary files open."""
    files = {
        k: FileStorage(stream=v[0], filename=v[1], content_type="application/octet-stream")
        for k, v in data.items()
        if isinstance(v, tuple)
    }
    boundary, body = encode_multipart({**data, **files})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_public_list_shows_only_speakers_on_a_published_agenda(client):
    event = make_event()
    on_stage = make_speaker("Ann Onstage", organisation="Fenwright CAD")
    waiting = make_speaker("Wendy Waiting")
    make_session(event, speakers=[on_stage], title="Lean talk")
    make_session(event, start_offset=timedelta(hours=3), speakers=[waiting], publish=False)
    draft_event = make_event(status="draft")
    make_session(draft_event, speakers=[waiting])
    db.session.commit()
    html = client.get("/speakers").get_data(as_text=True)
    assert "Ann Onstage" in html and "Fenwright CAD" in html and "Lean talk" in html
    assert "Wendy Waiting" not in html
    assert client.get(f"/speakers/{waiting.slug}").status_code == 404


def test_public_list_is_cached_until_speakers_sessions_or_events_change(client, login):
    event = make_event()
    ann = make_speaker("Ann Onstage", organisation="Fenwright CAD")
    make_session(event, speakers=[ann], title="Lean talk")
    db.session.commit()
    first = client.get("/speakers")
    assert "Ann Onstage" in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert client.get("/speakers", headers={"If-None-Match": etag}).status_code == 304

    ann.organisation = "Brackland Automation"  # a profile edit
    db.session.commit()
    edited = client.get("/speakers", headers={"If-None-Match": etag})
    assert edited.status_code == 200 and "Brackland Automation" in edited.get_data(as_text=True)

    bea = make_speaker("Bea Newcomer")
    make_session(event, start_offset=timedelta(hours=2), speakers=[bea], title="Data talk")
    db.session.commit()
    assert "Bea Newcomer" in client.get("/speakers").get_data(as_text=True)

    event.status = "draft"  # unpublishing the event takes its speakers off the list
    db.session.commit()
    assert "Ann Onstage" not in client.get("/speakers").get_data(as_text=True)

    login(make_user())
    db.session.commit()
    signed_in = client.get("/speakers")
    assert signed_in.status_code == 200 and "ETag" not in signed_in.headers


def test_speaker_page_lists_published_sessions_and_sanitises_the_bio(client):
    event = make_event(slug="forum")
    ann = make_speaker(
        "Ann", slug="ann", bio="Hi <script>alert(1)</script> [x](javascript:alert(2)) **bold**"
    )
    session = make_session(event, speakers=[ann], title="Lean talk")
    db.session.commit()
    html = client.get("/speakers/ann").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html
    assert f'href="/events/forum/agenda#s-{session.id}">Lean talk</a>' in html
    assert client.get("/speakers/nobody").status_code == 404


def test_organiser_creates_a_speaker_with_a_photo(client, login):
    login(organiser())
    db.session.commit()
    data = _speaker_form(photo=(BytesIO(image_bytes((1000, 1000), "PNG")), "ann.png"))
    response = client.post("/organiser/speakers/new", **_multipart(data))
    assert response.status_code == 302
    speaker = db.session.execute(select(Speaker)).scalar_one()
    assert (speaker.slug, speaker.links) == (
        "ann-example",
        [{"label": "Blog", "url": "https://ann.example"}],
    )
    image = Image.open(BytesIO(speaker.photo))
    assert (image.format, image.size) == ("JPEG", (400, 400))

    photo = client.get(f"/speakers/ann-example/photo.jpg?v={speaker.photo_etag}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert photo.headers["ETag"] == f'"{speaker.photo_etag}"'
    bare = client.get("/speakers/ann-example/photo.jpg")
    assert bare.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get(
        "/speakers/ann-example/photo.jpg", headers={"If-None-Match": photo.headers["ETag"]}
    )
    assert again.status_code == 304


def test_non_image_and_oversized_uploads_are_refused_and_nothing_is_written(client, login):
    login(organiser())
    db.session.commit()
    for upload, message in (
        ((BytesIO(b"<?php echo 1; ?>"), "photo.jpg"), "not an image we can read"),
        (
            (BytesIO(b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024 + 10)), "big.jpg"),
            "the limit is 2 MB",
        ),
    ):
        response = client.post(
            "/organiser/speakers/new",
            **_multipart(_speaker_form(photo=upload)),
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Speaker)).first() is None


def test_upload_over_the_request_limit_is_413(client, login):
    login(organiser())
    db.session.commit()
    huge = (BytesIO(b"\x00" * (6 * 1024 * 1024)), "huge.jpg")
    response = client.post(
        "/organiser/speakers/new",
        **_multipart(_speaker_form(photo=huge)),
    )
    assert response.status_code == 413
    assert db.session.execute(select(Speaker)).first() is None


def test_bad_links_are_refused(client, login):
    login(organiser())
    db.session.commit()
    response = client.post(
        "/organiser/speakers/new", data=_speaker_form(links="Click | javascript:alert(1)")
    )
    assert response.status_code == 400
    assert "Link on line 1 must be a web address" in response.get_data(as_text=True)
    assert db.session.execute(select(Speaker)).first() is None


def test_organiser_speaker_list_and_delete_rules(client, login, count_queries):
    event = make_event()
    busy = make_speaker("Busy Bee")
    idle = make_speaker("Idle Ida")
    make_session(event, speakers=[busy])
    login(organiser())
    db.session.commit()
    with count_queries() as queries:
        html = client.get("/organiser/speakers").get_data(as_text=True)
    assert "Busy Bee" in html and "Idle Ida" in html
    assert len(queries) == 3  # user, speakers, session counts
    refused = client.post(f"/organiser/speakers/{busy.id}/delete", follow_redirects=True)
    assert "Busy Bee is on 1 session(s)" in refused.get_data(as_text=True)
    client.post(f"/organiser/speakers/{idle.id}/delete")
    names = db.session.execute(select(Speaker.name)).scalars().all()
    assert names == ["Busy Bee"]


def test_speaker_account_edits_its_own_profile_only(client, login):
    owner = make_user(email="ann@example.com")
    ann = make_speaker("Ann", slug="ann", user_id=owner.id)
    make_speaker("Bob", slug="bob")
    stranger = make_user()
    db.session.commit()
    login(stranger)
    assert client.get("/me/speaker-profile").status_code == 404
    assert "/me/speaker-profile" not in client.get("/me").get_data(as_text=True)
    login(owner)
    account = client.get("/me").get_data(as_text=True)  # where a speaker finds their profile
    assert 'href="/me/speaker-profile"' in account and 'href="/speakers/ann"' in account
    page = client.get("/me/speaker-profile").get_data(as_text=True)
    assert 'value="Ann"' in page
    response = client.post(
        "/me/speaker-profile",
        data={
            "name": "Ann Example",
            "job_title": "CTO",
            "organisation": "",
            "bio": "New bio",
            "links": "",
            "photo": (BytesIO(image_bytes((300, 200), "JPEG")), "me.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    ann = db.session.execute(select(Speaker).where(Speaker.slug == "ann")).scalar_one()
    assert (ann.name, ann.job_title, ann.bio) == ("Ann Example", "CTO", "New bio")
    assert ann.photo_etag is not None
    bob = db.session.execute(select(Speaker).where(Speaker.slug == "bob")).scalar_one()
    assert bob.name == "Bob"
    refused = client.post("/me/speaker-profile", data={"name": "Ann", "links": "ftp://x"})
    assert refused.status_code == 400


def test_organiser_links_a_speaker_account(client, login):
    user = make_user(email="bea@example.com")
    speaker = make_speaker("Bea")
    login(organiser())
    db.session.commit()
    response = client.post(
        f"/organiser/speakers/{speaker.id}",
        data=_speaker_form(name="Bea", user_email="bea@example.com"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Speaker, speaker.id).user_id == user.id
    missing = client.post(
        f"/organiser/speakers/{speaker.id}",
        data=_speaker_form(name="Bea", user_email="ghost@example.com"),
    )
    assert missing.status_code == 400
    assert "no account with the email ghost@example.com" in missing.get_data(as_text=True)
