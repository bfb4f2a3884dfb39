"""A delegate completes the benchmark in real Chromium and sees the radar chart."""

import os

import pytest
from sqlalchemy import select

from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.demo import seed_demo
from app.extensions import db
from tests.factories import PASSWORD, make_event, make_organisation, make_user
from tests.factories_benchmark import make_peers

pytestmark = pytest.mark.browser

Q = current_questionnaire()


def test_delegate_completes_the_benchmark_and_sees_the_chart(page, artifacts_dir):
    make_peers(5, level=2)
    org = make_organisation("Tas Valley Fabrication Ltd", sector="25", size_band="small")
    user = make_user(organisation=org, email="tess@example.com", name="Tess Valley")
    event = make_event(kind="workshop", pillars=["digital"], title="Digital first steps")
    db.session.commit()
    page.emulate_media(reduced_motion="reduce")  # the chart then draws without animating

    # Arriving from registration, the delegate signs in and lands on the benchmark.
    page.goto(f"/auth/login?next=/benchmark?next=/events/{event.slug}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Productivity benchmark").wait_for()
    page.screenshot(path=os.path.join(artifacts_dir, "benchmark-index.png"))
    page.get_by_role("button", name="Start the benchmark").click()

    for number, pillar in enumerate(Q.pillars):
        page.get_by_role("heading", name=pillar.title, exact=True).wait_for()
        assert page.get_by_text(f"Step {number + 2} of 11").is_visible()
        if number == 1:
            # Forward with a question unanswered is refused, with a message on the page.
            page.get_by_role("button", name="Next").click()
            page.get_by_text("Please answer every question").wait_for()
        for index, question in enumerate(pillar.questions):
            # Strong on the first four pillars, weak on digital and beyond; one "don't know".
            if pillar.key == "digital" and index == 0:
                page.get_by_label("Don’t know").first.check()
                continue
            level = 3 if number < 4 else 1
            page.get_by_label(question.answers[level], exact=True).check()
        if number == 1:
            # Back and forward again: the answers are kept.
            page.get_by_role("button", name="Back").click()
            page.get_by_role("heading", name=Q.pillars[0].title, exact=True).wait_for()
            assert page.locator("input[type=radio]:checked").count() == len(Q.pillars[0].questions)
            page.get_by_role("button", name="Next").click()
            page.get_by_role("heading", name=pillar.title, exact=True).wait_for()
            assert page.locator("input[type=radio]:checked").count() == len(pillar.questions)
        if number == 3:
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=os.path.join(artifacts_dir, "benchmark-step-phone.png"))
            page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Next").click()

    page.get_by_role("heading", name="Business figures").wait_for()
    page.get_by_label("Annual turnover").fill("2,400,000")
    page.get_by_label("Bought-in goods and services").fill("1300000")
    page.get_by_label("Full-time equivalent employees").fill("22")
    page.get_by_role("button", name="Review").click()

    page.get_by_role("heading", name="Review and submit").wait_for()
    assert page.get_by_text("£2,400,000").is_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "benchmark-review.png"), full_page=True)
    page.get_by_role("button", name="Submit benchmark").click()

    page.get_by_role("heading", name="Benchmark results").wait_for()
    page.get_by_text("Thank you: your benchmark is submitted.").wait_for()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('benchmark-chart'))"
    )
    chart = page.evaluate(
        """() => {
            const c = Chart.getChart(document.getElementById('benchmark-chart'));
            return {type: c.config.type, labels: c.data.labels.length,
                    series: c.data.datasets.map(d => [d.label, d.pointStyle, !!d.borderDash]),
                    width: c.width};
        }"""
    )
    assert chart["type"] == "radar"
    assert chart["labels"] == 8
    assert chart["series"] == [
        ["Your business", "circle", False],
        ["Peer median", "triangle", True],
    ]
    assert chart["width"] > 200
    table = page.locator("#benchmark-table")
    assert table.locator("tbody tr").count() == 8
    assert "Leadership & strategy" in table.inner_text()
    assert page.get_by_text("Digital first steps").is_visible()
    continue_link = page.get_by_role("link", name="Carry on")
    assert continue_link.get_attribute("href") == f"/events/{event.slug}"
    page.screenshot(path=os.path.join(artifacts_dir, "benchmark-results-desktop.png"),
                    full_page=True)  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # as a phone would first draw it
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('benchmark-chart'))"
    )
    page.screenshot(path=os.path.join(artifacts_dir, "benchmark-results-phone.png"),
                    full_page=True)  # fmt: skip

    db.session.expire_all()
    stored = db.session.execute(
        select(BenchmarkResponse).where(BenchmarkResponse.organisation_id == org.id)
    ).scalar_one()
    assert stored.status == "submitted"
    assert stored.metrics["turnover_gbp"] == 2_400_000
    continue_link.click()
    page.wait_for_url(f"**/events/{event.slug}")


def test_organiser_sees_programme_benchmark_overview(page, artifacts_dir):
    seed_demo()
    db.session.commit()
    page.goto("/auth/login?next=/organiser/benchmark")
    page.get_by_label("Email").fill("organiser@example.com")
    page.get_by_label("Password").fill("organiser")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Productivity benchmark").wait_for()
    assert page.get_by_test_id("orgs-completed").inner_text() == "15"  # with the host business
    assert page.get_by_role("row", name="Overall").first.is_visible()
    # The impact table: the demo's workshop-goers moved further on lean than the rest.
    assert page.get_by_role("heading", name="Improvement since the baseline").is_visible()
    assert page.get_by_role("row", name="Overall").count() == 2
    page.screenshot(path=os.path.join(artifacts_dir, "benchmark-organiser.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download results (CSV)").click()
    assert download.value.suggested_filename.startswith("benchmark-results-")
