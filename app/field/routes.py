import hashlib
import uuid
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.services.cases import catalog
from app.services.people import access

bp = Blueprint("field", __name__)
# What the service worker keeps for a dead spot: the outbox page, the styles, scripts and icons.
SHELL = ("jiefen.css", "phone.css", "field/app.js", "field/icon-192.png", "field/icon-512.png")


@bp.get("/manifest.webmanifest")
def manifest():
    return jsonify({
        "name": _("解纷 · 矛盾纠纷分级调解"),
        "short_name": _("解纷"),
        "start_url": url_for("tasks.mine"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f7f9fb",
        "theme_color": "#b42318",
        "lang": "zh-CN",
        "icons": [
            {"src": url_for("static", filename=f"field/icon-{size}.png"), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any maskable"}
            for size in (192, 512)
        ],
    }), 200, {"Content-Type": "application/manifest+json"}


@bp.get("/sw.js")
def service_worker():
    """Served from the root so it may control every page; its cache name changes with the static files."""
    static_folder = current_app.static_folder
    if static_folder is None:  # Flask's default static folder, which create_app keeps
        raise RuntimeError("the app has no static folder")
    script = (Path(static_folder) / "field" / "sw.js").read_text(encoding="utf-8")
    shell = [url_for("field.outbox"), url_for("field.manifest")] + [url_for("static", filename=name) for name in SHELL]
    script = script.replace("__VERSION__", _static_version(static_folder)).replace(
        "__SHELL__", ",".join(f'"{url}"' for url in shell))
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@bp.get("/outbox")
def outbox():
    """待发送: what this phone keeps to send (read from IndexedDB by field/app.js); also the offline page."""
    return render_template("field/outbox.html")


@bp.get("/menu")
@login_required
def menu():
    """Every page of the navigation, for phones (the bottom tab bar shows four)."""
    return render_template("field/menu.html")


@bp.get("/field/nearby")
@login_required
def nearby():
    try:
        latitude, longitude = float(request.args["lat"]), float(request.args["lng"])
    except (KeyError, ValueError):
        return jsonify(message=_("位置无效。")), 400
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return jsonify(message=_("位置无效。")), 400
    found = catalog.nearest_addresses(current_user, latitude, longitude)
    return jsonify(addresses=[
        {"id": place.address_id, "text": place.text, "grid_id": place.grid_id, "grid": place.grid,
         "distance_m": place.distance_m} for place in found
    ])


@bp.get("/field/csrf")
@login_required
def csrf_token():
    """A fresh CSRF token for the outbox: a draft kept offline for hours outlives the one in its form."""
    return jsonify(csrf_token=generate_csrf()), 200, {"Cache-Control": "no-store"}


@lru_cache(maxsize=4)
def _static_version(static_folder: str) -> str:
    """Every file under static/, with its path: the worker answers them all from its cache first."""
    digest = hashlib.sha256()
    for path in sorted(path for path in Path(static_folder).rglob("*") if path.is_file()):
        digest.update(str(path.relative_to(static_folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@bp.app_context_processor
def field_context() -> dict:
    """What every page gives field/app.js and the phone's tab bar."""
    context = {"new_client_id": lambda: uuid.uuid4().hex, "field_texts": _field_texts()}
    if current_user.is_authenticated:
        context["field_pages"] = [url_for("tasks.mine"), url_for("field.outbox")] + (
            [url_for("cases.new")] if access.can(current_user, access.REGISTER_CASE) else [])
    return context


def _field_texts() -> dict[str, str]:
    return {
        "queued": _("没有网络：已保存在手机上，联网后自动发送。"),
        "waiting": _("待发送 %(count)s"),
        "refused_count": _("%(count)s 条未能发送"),
        "refused": _("未能发送："),
        "state_waiting": _("待发送"),
        "state_refused": _("未能发送"),
        "discard": _("删除"),
        "login_needed": _("登录已过期：请重新登录，待发送的内容会在登录后发送。"),
        "locating": _("正在定位…"),
        "choose_address": _("请选择最近的标准地址："),
        "no_address_nearby": _("附近没有标准地址，请手动选择。"),
        "address_chosen": _("已选择："),
        "metres": _("约 %(count)s 米"),
        "locate_failed": _("无法获取位置，请检查定位权限，或手动选择地址。"),
        "located_offline": _("已定位，但没有网络，无法查找附近地址。"),
        "keep_position": _("记录当前位置"),
        "position_kept": _("已记录当前位置，请手动选择地址。"),
        "logout_drops": _("还有 %(count)s 条内容未发送，退出后将从手机上删除。确定退出吗？"),
    }
