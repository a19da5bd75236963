"""The dev outbox: e-mail and SMS captured instead of sent. Registered only with ZEGEL_DEV_OUTBOX=1."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from zegel.delivery.models import DevOutboxItem
from zegel.extensions import db

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev")


def _items() -> list[DevOutboxItem]:
    return list(db.session.scalars(select(DevOutboxItem).order_by(DevOutboxItem.id)))


@bp.get("/outbox")
def page():
    return render_template("dev/outbox.html", items=list(reversed(_items())))


@bp.get("/outbox.json")
def as_json():
    return jsonify(items=[
        {"id": i.id, "kind": i.kind, "to": i.to, "subject": i.subject, "text": i.text, "html": i.html,
         "created_at": i.created_at.isoformat()}
        for i in _items()
    ])
