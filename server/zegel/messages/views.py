"""The web mailbox ("online veilig postvak")."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

bp = Blueprint("messages", __name__)


@bp.get("/")
def index():
    return redirect(url_for("messages.inbox" if current_user.is_authenticated else "accounts.login"))


@bp.get("/inbox")
@login_required
def inbox():
    # Conversations arrive with the secure-messages feature; until then the mailbox is empty.
    return render_template("messages/inbox.html", conversations=[])
