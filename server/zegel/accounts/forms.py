"""Web forms of the login and account pages (Flask-WTF adds the CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Remember me"))


class VerifyForm(FlaskForm):
    code = StringField(_l("Login code"), validators=[DataRequired(), Length(max=12)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The new passwords differ."))])


class LanguageForm(FlaskForm):
    language = SelectField(choices=["nl", "en"])
    next = HiddenField()


class PostForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def require_post_form() -> PostForm:
    """The posted button form, or a clear 400 when its CSRF token is missing or stale."""
    from zegel.errors import AppError
    form = PostForm()
    if not form.validate_on_submit():
        raise AppError("csrf_failed", _l("This form has expired or did not come from this site. Reload the page "
                                         "and try again."), 400)
    return form
