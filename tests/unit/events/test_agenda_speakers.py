"""Speaker rules: photos checked and re-encoded with Pillow, links, own-profile editing."""

from io import BytesIO

import pytest
from PIL import Image

from app.events.speaker_services import (
    SpeakerData,
    SpeakerError,
    create_speaker,
    parse_links,
    process_photo,
    update_own_profile,
)
from tests.factories import make_speaker, make_user, organiser
from tests.factories_agenda import image_bytes


def test_photo_is_reencoded_as_jpeg_at_most_400_px():
    data, etag = process_photo(image_bytes((1200, 800), "PNG"))
    image = Image.open(BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (400, 267)
    assert len(etag) == 32


def test_transparent_png_gets_a_white_background():
    data, _ = process_photo(image_bytes((100, 100), "PNG", mode="RGBA"))
    image = Image.open(BytesIO(data))
    assert image.mode == "RGB" and image.size == (100, 100)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "empty"),
        (b"<script>alert(1)</script>", "not an image we can read"),
        (b"%PDF-1.4 not a photo", "not an image we can read"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image we can read"),
    ],
)
def test_non_images_are_refused(raw, message):
    with pytest.raises(SpeakerError, match=message):
        process_photo(raw)


def test_oversized_upload_is_refused_with_the_limit():
    raw = image_bytes((10, 10), "BMP") + b"\x00" * (2 * 1024 * 1024)
    with pytest.raises(SpeakerError, match="the limit is 2 MB"):
        process_photo(raw)


def test_formats_other_than_photos_are_refused():
    with pytest.raises(SpeakerError, match="JPEG, PNG, WebP or GIF"):
        process_photo(image_bytes((50, 50), "BMP"))


def test_links_parse_labels_and_refuse_scripts():
    assert parse_links("Blog | https://example.com/a\nhttps://www.fenwright.co.uk\n\n") == [
        {"label": "Blog", "url": "https://example.com/a"},
        {"label": "fenwright.co.uk", "url": "https://www.fenwright.co.uk"},
    ]
    with pytest.raises(SpeakerError, match="line 2"):
        parse_links("https://ok.example\nClick | javascript:alert(1)")


def test_create_speaker_makes_a_unique_slug_and_links_an_account(app):
    make_speaker(slug="ann-example")
    user = make_user(email="ann@example.com")
    speaker = create_speaker(
        organiser(), SpeakerData(name="Ann Example"), user_email="ANN@example.com"
    )
    assert speaker.slug == "ann-example-2"
    assert speaker.user_id == user.id


def test_linking_an_unknown_account_is_refused(app):
    with pytest.raises(SpeakerError, match="no account with the email nobody@example.com"):
        create_speaker(organiser(), SpeakerData(name="X"), user_email="nobody@example.com")


def test_a_speaker_account_edits_only_its_own_profile(app):
    owner, other = make_user(), make_user()
    speaker = make_speaker("Ann", user_id=owner.id, bio="old")
    update_own_profile(owner, speaker, SpeakerData(name="Ann B", bio="new"), None, False)
    assert (speaker.name, speaker.bio) == ("Ann B", "new")
    with pytest.raises(SpeakerError, match="only edit your own"):
        update_own_profile(other, speaker, SpeakerData(name="Hacked"), None, False)
    assert speaker.name == "Ann B"
