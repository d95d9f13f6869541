"""A citizen files a complaint with a photo on a phone, with and without JavaScript, edits it,
sees it handled and rates it; anyone tracks it by number and code without seeing who sent it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import asyncpg
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer, run_async
from e2e.data import ADMIN, CITIZEN_NAME, OFFICER_PASSWORD, handle_and_resolve
from e2e.pages import LoginPage, log_in
from e2e.pages_archive import PublicComplaintPage
from e2e.pages_complaints import (
    ComplaintPage,
    NewComplaintPage,
    ReceiptPage,
    TrackPage,
    file_complaint,
)
from e2e.pages_handling import HandlingPage, QueuePage

NUMBER = re.compile(r"^ADU-\d{4}-\d{6}$")


def test_file_edit_see_handled_and_rate_a_complaint_with_a_photo(
    any_page: Page,
    live_server: LiveServer,
    demo_data: None,
    photo: Path,
    request: pytest.FixtureRequest,
) -> None:
    page, url = any_page, live_server.url
    log_in(page, url)
    # The "use my location" button is an enhancement: only where scripts run.
    form = NewComplaintPage(page, url).open_form()
    javascript = request.node.callspec.id.startswith("js")
    expect(form.locate_button).to_have_count(1 if javascript else 0)
    receipt = file_complaint(page, url, photo, urgency="high")
    assert NUMBER.match(receipt.number)
    assert re.fullmatch(r"[A-Z2-9]{8}", receipt.tracking_code)
    complaint_id = receipt.complaint_id

    receipt.view_complaint()
    complaint = ComplaintPage(page, url)
    expect(complaint.status).to_have_class(re.compile("status-pending"))
    expect(complaint.evidence_thumbnails).to_have_count(1)
    # The thumbnail, fetched with the citizen's session: small and without metadata.
    src = complaint.evidence_thumbnails.first.get_attribute("src")
    thumbnail = Image.open(io.BytesIO(page.request.get(url + src).body()))
    assert 0 < max(thumbnail.size) <= 320 and not thumbnail.getexif()

    complaint.edit()
    complaint.save_title("Jalan berlubang besar di depan SD Negeri 5")
    expect(complaint.heading).to_have_text("Jalan berlubang besar di depan SD Negeri 5")

    run_async(
        handle_and_resolve, live_server.dsn, complaint_id, "Lubang sudah ditambal tim lapangan."
    )
    complaint.open_complaint(complaint_id)
    expect(complaint.status).to_have_class(re.compile("status-resolved"))
    expect(complaint.timeline).to_contain_text("Lubang sudah ditambal tim lapangan.")
    expect(complaint.edit_link).to_have_count(0)

    complaint.rate(5, "Cepat dan rapi, terima kasih.")
    page.wait_for_url(re.compile(rf"/pengaduan/{complaint_id}$"))
    expect(complaint.status).to_have_class(re.compile("status-closed"))
    expect(complaint.rating_form).to_have_count(0)
    expect(complaint.main).to_contain_text("Cepat dan rapi, terima kasih.")


def test_withdrawing_asks_first_with_and_without_javascript(
    any_page: Page, live_server: LiveServer, demo_data: None, request: pytest.FixtureRequest
) -> None:
    page, url = any_page, live_server.url
    log_in(page, url)
    complaint_id = file_complaint(page, url).complaint_id
    complaint = ComplaintPage(page, url).open_complaint(complaint_id)
    if request.node.callspec.id.startswith("js"):
        # htmx asks in a dialog: "no" changes nothing, "yes" withdraws.
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        complaint.withdraw_button.click()
        # The dialog blocks the click until it is answered: asked by the time it returns.
        assert len(asked) == 1 and "Cabut" in asked[0]
        complaint.open_complaint(complaint_id)
        expect(complaint.status).to_have_class(re.compile("status-pending"))
        page.once("dialog", lambda dialog: dialog.accept())
        complaint.withdraw_button.click()
    else:
        # No dialog without JavaScript: a page asks; "no" goes back, "yes" withdraws.
        complaint.withdraw_button.click()
        page.wait_for_url(f"{url}/pengaduan/{complaint_id}/cabut")
        expect(complaint.status).to_have_count(0)
        complaint.keep()
        page.wait_for_url(f"{url}/pengaduan/{complaint_id}")
        expect(complaint.status).to_have_class(re.compile("status-pending"))
        complaint.withdraw_button.click()
        page.wait_for_url(f"{url}/pengaduan/{complaint_id}/cabut")
        complaint.confirm_withdrawal.click()
    page.wait_for_url(f"{url}/pengaduan/{complaint_id}")
    expect(complaint.status).to_have_class(re.compile("status-withdrawn"))


def test_an_anonymous_complaint_is_tracked_by_number_and_code_without_its_reporter(
    any_page: Page, live_server: LiveServer, demo_data: None
) -> None:
    page, url = any_page, live_server.url
    login = log_in(page, url)
    receipt = file_complaint(page, url, anonymous=True)
    number, code = receipt.number, receipt.tracking_code
    login.log_out()

    track = TrackPage(page, url)
    track.track(number, "ZZZZ2222")
    expect(track.form_error).to_be_visible()
    expect(track.result).to_have_count(0)
    wrong_code = track.form_error.inner_text()
    track.track("ADU-1999-000001", code)
    expect(track.form_error).to_have_text(wrong_code)  # no hint which part was wrong

    track.track(number.lower(), code.lower())
    expect(track.result).to_contain_text(number)
    expect(track.result_status("pending")).to_be_visible()
    expect(track.body).not_to_contain_text(CITIZEN_NAME)
    expect(track.body).not_to_contain_text("Jl. Merdeka No. 5")
    assert track.result_files.count() == 0


def test_a_text_file_renamed_jpg_is_refused_with_a_message_naming_it(
    any_page: Page, live_server: LiveServer, demo_data: None, tmp_path: Path, photo: Path
) -> None:
    page, url = any_page, live_server.url
    fake = tmp_path / "foto-kerusakan.jpg"
    fake.write_text("bukan gambar, hanya catatan\n")
    log_in(page, url)
    form = NewComplaintPage(page, url).open_form()
    form.fill(
        title="Lampu jalan mati",
        description="Lampu di gang kami mati sejak dua minggu.",
        category="Lampu Jalan",
    )
    form.attach(fake, photo)
    form.submit()
    expect(form.error("evidence")).to_contain_text("foto-kerusakan.jpg")
    expect(form.field("title")).to_have_value("Lampu jalan mati")
    expect(form.kept_files).to_have_count(1)  # the real photo is kept, not chosen again
    form.submit()
    receipt = ReceiptPage(page, url).wait()
    receipt.view_complaint()
    expect(ComplaintPage(page, url).evidence_thumbnails).to_have_count(1)


def test_an_anonymous_photo_complaint_keeps_its_reporter_and_position_hidden_everywhere(
    browser, live_server: LiveServer, demo_data: None, tmp_path: Path
) -> None:
    """The GPS tag of the uploaded photo is gone from the stored file, and the anonymous
    reporter is shown to no officer, no admin and not in the archive."""
    from PIL import ExifTags

    from e2e.conftest import PHONE, ROOT
    from pengaduan.complaints.storage import FileSystemStorage

    image = Image.new("RGB", (2000, 1500), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 54.0, 53.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (107.0, 36.0, 35.0)
    photo = tmp_path / "dengan-gps.jpg"
    image.save(photo, "JPEG", exif=exif, quality=85)
    assert Image.open(photo).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input has GPS

    url = live_server.url
    contexts = [browser.new_context(viewport=PHONE, locale="id-ID") for _ in range(3)]
    try:
        citizen, officer, admin = (c.new_page() for c in contexts)
        log_in(citizen, url)
        receipt = file_complaint(
            citizen, url, photo, anonymous=True, title="Jalan amblas dekat jembatan Cikapundung"
        )
        complaint_id, number = receipt.complaint_id, receipt.number

        async def stored_keys() -> list[str]:
            conn = await asyncpg.connect(live_server.dsn)
            try:
                rows = await conn.fetch(
                    "SELECT storage_key, thumbnail_key FROM evidence_files WHERE complaint = $1",
                    complaint_id,
                )
            finally:
                await conn.close()
            return [k for r in rows for k in (r["storage_key"], r["thumbnail_key"]) if k]

        keys = run_async(stored_keys)
        assert len(keys) == 2  # the image and its thumbnail
        storage = FileSystemStorage(ROOT / "var" / "e2e" / "uploads")
        for key in keys:
            stored = Image.open(io.BytesIO(run_async(storage.read, key)))
            assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
            assert not stored.getexif()  # no metadata at all
            assert max(stored.size) <= 1600

        for page, account, landing in (
            (officer, ("petugas.pupr", OFFICER_PASSWORD), "/petugas"),
            (admin, ADMIN, "/admin/statistik"),
        ):
            LoginPage(page, url).log_in(*account)
            page.wait_for_url(url + landing)  # the login has finished
            handling = HandlingPage(page, url).open_complaint(complaint_id)
            expect(handling.reporter).to_have_text("Anonim")
            expect(handling.body).not_to_contain_text(CITIZEN_NAME)
            queue = QueuePage(page, url).open_queue(f"q={number}")
            expect(queue.main).to_contain_text(number)
            expect(queue.body).not_to_contain_text(CITIZEN_NAME)

        public = PublicComplaintPage(officer, url).open(f"/arsip/{number}")
        expect(public.heading).to_contain_text("Jalan amblas")
        expect(public.main).to_contain_text("Anonim")
        expect(public.body).not_to_contain_text(CITIZEN_NAME)
        # The reporter still sees it as theirs.
        mine = ComplaintPage(citizen, url).open_complaint(complaint_id)
        expect(mine.heading).to_contain_text("Jalan amblas")
    finally:
        for context in contexts:
            context.close()
