"""Serves the OpenAPI description of /api/v1."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@lru_cache(maxsize=1)
def _spec_text() -> str:
    return (Path(__file__).parent / "openapi.json").read_text("utf-8")


@bp.get("/openapi.json")
def openapi():
    spec = json.loads(_spec_text())
    spec["servers"] = [{"url": current_app.config["ZEGEL"].public_url + "/api/v1"}]
    return jsonify(spec)
