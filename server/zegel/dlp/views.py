"""DLP in the web mailbox: the compose screen's scan (session cookie and CSRF header), and the admin page."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from zegel.accounts.forms import PostForm, require_post_form
from zegel.dlp import admin
from zegel.dlp import rules as rules_mod
from zegel.dlp.api import MAX_SCAN_REQUEST, SCAN_FORM_MEMORY, scan_request
from zegel.errors import AppError
from zegel.extensions import client_ip, db, limiter
from zegel.security import body_limit

bp = Blueprint("dlp", __name__)


@bp.post("/compose/dlp")
@body_limit(MAX_SCAN_REQUEST, form_memory=SCAN_FORM_MEMORY, when=lambda: current_user.is_authenticated)
@login_required
@limiter.limit("120 per minute")
def compose_scan():
    """What the compose screen shows while the user types and adds files."""
    return jsonify(scan_request(current_user).as_json())


MAX_ROWS = 200


def _posted_rules(form) -> list[dict]:
    """The rules table as posted: one row per rule; a row without a name, or marked to delete, is left out."""
    raw = form.get("rows", "")
    rows = min(int(raw), MAX_ROWS) if raw.isascii() and raw.isdigit() else 0
    out = []
    for i in range(rows):
        name = (form.get(f"r{i}_name") or "").strip()
        if not name or form.get(f"r{i}_delete"):
            continue
        out.append({"name": name, "detector": form.get(f"r{i}_detector", ""), "pattern": form.get(f"r{i}_pattern"),
                    "min_confidence": form.get(f"r{i}_confidence", "low"), "level": form.get(f"r{i}_level"),
                    "locations": form.getlist(f"r{i}_locations"), "enabled": bool(form.get(f"r{i}_enabled"))})
    return out


@bp.route("/admin/dlp", methods=["GET", "POST"])
@login_required
def admin_rules():
    """The organisation's DLP rules and word lists (chapter 10: "De organisatie bepaalt zelf welke
    controleregels worden gebruikt")."""
    user = admin.require_admin(current_user)
    error, status, posted = None, 200, None
    if request.method == "POST":
        require_post_form()
        try:
            if request.form.get("action") == "save_list":
                admin.save_list(db.session, user, (request.form.get("list_name") or "").strip().lower(),
                                (request.form.get("list_terms") or "").splitlines(), ip=client_ip())
                flash(_("The word list has been saved."), "info")
            elif request.form.get("action") == "delete_list":
                admin.delete_list(db.session, user, request.form.get("list_name") or "", ip=client_ip())
                flash(_("The word list has been deleted."), "info")
            else:
                posted = _posted_rules(request.form)
                admin.replace_rules(db.session, user, posted, ip=client_ip())
                flash(_("The rules have been saved."), "info")
            return redirect(url_for("dlp.admin_rules"))
        except AppError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
    data = admin.rules_json(db.session, user)
    rules = posted if posted is not None else data["rules"]
    return render_template("admin/dlp.html", form=PostForm(), rules=rules, lists=data["lists"], error=error,
                           detectors=data["detectors"], levels=rules_mod.LEVELS, locations=rules_mod.LOCATIONS,
                           active="dlp"), status
