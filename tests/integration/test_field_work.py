"""Field work from a phone: resends are the same submission, photos lose their EXIF, "用我的位置"."""
import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, AttachmentContent, CaseComment, DisputeCase, TrailEvent
from tests import factories as f

JSON = {"Accept": "application/json"}


def report(client_id: str, world, **extra) -> dict:
    return {"title": "楼道堆物", "source": "grid_patrol", "grid_id": str(world.grid.id),
            "applicant_name": "张三", "client_id": client_id, **extra}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_resent_patrol_report_opens_one_case(client, auth, world):
    auth.login("grid_worker")
    first = client.post("/cases/new", data=report("phone-0001-aaaa", world), headers=JSON)
    assert first.status_code == 201 and first.json["status"] == "created"
    number = db.session.scalar(select(DisputeCase.number))
    assert first.json["url"].endswith(f"/cases/{number}")
    again = client.post("/cases/new", data=report("phone-0001-aaaa", world), headers=JSON)
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert again.json["url"] == first.json["url"]
    # A browser resubmitting the page is told too, and nothing is opened twice.
    page = client.post("/cases/new", data=report("phone-0001-aaaa", world))
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/cases/{number}")
    assert count(DisputeCase) == 1
    # Another report from the same phone is another case.
    assert client.post("/cases/new", data=report("phone-0002-bbbb", world), headers=JSON).status_code == 201
    assert count(DisputeCase) == 2


def test_a_resent_task_completion_completes_once_and_a_moved_on_task_is_refused(client, auth, world):
    case = f.open_case(world)
    task = f.current_task(case)
    auth.login("dispatcher")
    data = {"category": "neighbour", "tier": "1", "triage_note": "先行现场调解", "client_id": "phone-task-0001"}
    first = client.post(f"/tasks/{task.id}", data=data, headers=JSON)
    assert first.status_code == 201, first.json
    assert client.post(f"/tasks/{task.id}", data=data, headers=JSON).status_code == 200
    completed = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id,
                                                            TrailEvent.event == "task_completed")).all()
    assert len(completed) == 1
    # A second phone's draft of the same step arrives after the case moved on: refused with the reason.
    refused = client.post(f"/tasks/{task.id}", data={**data, "client_id": "phone-task-0002"}, headers=JSON)
    assert refused.status_code == 409 and refused.json["status"] == "refused"
    assert "已办理" in refused.json["message"]


def test_an_invalid_queued_submission_is_refused_with_its_field_errors(client, auth, world):
    auth.login("grid_worker")
    refused = client.post("/cases/new", data=report("phone-0003-cccc", world, title=""), headers=JSON)
    assert refused.status_code == 422 and refused.json["status"] == "refused"
    assert "title" in refused.json["errors"]
    malformed = client.post("/cases/new", data=report("no", world), headers=JSON)
    assert malformed.status_code == 422 and "client_id" in malformed.json["errors"]
    assert count(DisputeCase) == 0


def test_resent_comments_and_photos_are_kept_once(client, auth, world):
    case = f.open_case(world)
    auth.login("grid_worker")
    comment = {"body": "已电话联系双方。", "client_id": "phone-note-0001"}
    assert client.post(f"/cases/{case.number}/comments", data=comment, headers=JSON).status_code == 201
    assert client.post(f"/cases/{case.number}/comments", data=comment, headers=JSON).status_code == 200
    assert count(CaseComment) == 1

    def photos():
        return {"file": [(io.BytesIO(f.tiny_image()), "a.jpg"), (io.BytesIO(f.tiny_image("PNG")), "b.png")],
                "client_id": "phone-photo-001"}
    assert client.post(f"/cases/{case.number}/attachments", data=photos(), headers=JSON).status_code == 201
    assert client.post(f"/cases/{case.number}/attachments", data=photos(), headers=JSON).status_code == 200
    assert count(Attachment) == 2


def test_a_patrol_report_keeps_its_photos_without_gps_and_its_position(client, auth, world):
    auth.login("grid_worker")
    gps_photo = f.tiny_image(gps=(29.7752, 104.8521))
    assert Image.open(io.BytesIO(gps_photo)).getexif().get_ifd(0x8825)  # the phone wrote where it was
    data = report("phone-0004-dddd", world, latitude="29.775210", longitude="104.852090",
                  photos=[(io.BytesIO(gps_photo), "现场.jpg")])
    response = client.post("/cases/new", data=data, headers=JSON, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    case = db.session.scalar(select(DisputeCase))
    assert (case.reported_latitude, case.reported_longitude) == (29.77521, 104.85209)
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    content = db.session.get(AttachmentContent, attachment.id)
    stored = Image.open(io.BytesIO(content.data))
    assert not stored.getexif().get_ifd(0x8825) and not stored.getexif()
    assert stored.size == (40, 30)
    assert Image.open(io.BytesIO(content.thumbnail)).format == "JPEG"
    page = client.get(f"/cases/{case.number}")
    assert b'data-testid="gallery-photo"' in page.data
    thumbnail = client.get(f"/cases/{case.number}/attachments/{attachment.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    # A broken picture is refused with a reason, and nothing is opened.
    broken = report("phone-0005-eeee", world, photos=[(io.BytesIO(b"\xff\xd8\xff" + b"0" * 50), "x.jpg")])
    refused = client.post("/cases/new", data=broken, headers=JSON, content_type="multipart/form-data")
    assert refused.status_code == 422 and "图片" in refused.json["message"]
    assert count(DisputeCase) == 1


def test_use_my_location_suggests_the_nearest_address_in_the_users_area(client, auth, world):
    auth.login("grid_worker")
    # Standing nearer to the other town's address (致和街5号, 150 m north) than to ours is no reason to
    # be offered it: a grid worker registers only in their own grids.
    nearby = client.get("/field/nearby?lat=29.7764&lng=104.8524")
    assert nearby.status_code == 200
    [place] = nearby.json["addresses"]
    assert (place["text"], place["grid_id"]) == ("和平路12号", world.grid.id)
    assert 100 < place["distance_m"] < 200
    far = client.get("/field/nearby?lat=39.9&lng=116.4")
    assert far.json["addresses"] == []
    assert client.get("/field/nearby?lat=x&lng=1").status_code == 400
    assert client.get("/field/nearby?lat=91&lng=1").status_code == 400
    auth.logout()
    auth.login("dispatcher")  # the town's dispatcher sees its addresses too
    assert [p["text"] for p in client.get("/field/nearby?lat=29.7752&lng=104.8521").json["addresses"]] == ["和平路12号"]


@pytest.mark.sqlite  # the worker's script: static files hashed, no SQL
def test_the_service_workers_cache_changes_with_any_static_file(app, client, tmp_path, monkeypatch):
    """The worker answers static files from its cache first: a file changed anywhere under static/ (a
    diagram's or the designer's script, a vendored library) must name a new cache, or phones keep the old."""
    def cache_name(static_folder) -> str:
        monkeypatch.setattr(app, "static_folder", str(static_folder))
        return re.search(r'const CACHE = "([^"]+)"', client.get("/sw.js").get_data(as_text=True)).group(1)

    shipped = Path(app.static_folder)
    changed = shutil.copytree(shipped, tmp_path / "static")
    with open(changed / "designer" / "diagram.js", "a", encoding="utf-8") as script:
        script.write("\n")
    assert cache_name(shipped) != cache_name(changed)


def test_the_app_installs_manifest_service_worker_outbox(client, auth, world):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.json["display"] == "standalone" and manifest.json["short_name"] == "解纷"
    assert {icon["sizes"] for icon in manifest.json["icons"]} == {"192x192", "512x512"}
    for icon in manifest.json["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    text = worker.get_data(as_text=True)
    assert "__VERSION__" not in text and '"/outbox"' in text and "/static/field/app.js" in text
    assert client.get("/outbox").status_code == 200  # the offline page needs no log-in
    auth.login("grid_worker")
    page = client.get("/tasks/")
    assert b'rel="manifest"' in page.data and b'data-testid="tabbar"' in page.data
    assert client.get("/menu").status_code == 200
    assert client.get("/field/csrf").json["csrf_token"]
