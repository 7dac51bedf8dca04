from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from .. import db
from ..email import send_email, send_email_and_wait
from ..models import Login, User, canonical_email, password_matches
from ..two_step import login as two_step
from . import auth, throttling
from .forms import (ButtonForm, ChangeEmailForm, ChangePasswordForm,
                    LoginForm, PasswordResetForm, PasswordResetRequestForm,
                    RegistrationForm)

# What the page says when an email the user asked for could not be sent
# (send_email_and_wait logs why). The account or the request stays: the
# user can ask again. Each is flashed as str() of it, the text in the
# page's language: the session would keep a lazy string as Markup, which
# templates do not escape.
CONFIRMATION_NOT_SENT_AFTER_REGISTER = _l(
    'Your account has been created, but the confirmation email could not '
    'be sent. Log in, then use the link to have it sent again.')
CONFIRMATION_NOT_SENT = _l('The confirmation email could not be sent. '
                           'Please try again later.')
EMAIL_CHANGE_NOT_SENT = _l('The email to confirm your new email address '
                           'could not be sent. Please try again later.')

# Pages an unconfirmed user may still reach besides the auth pages: the
# files the pages need, and the language switcher.
OPEN_ENDPOINTS = {'static', 'main.moment_js', 'main.favicon',
                  'main.set_language'}


@auth.before_app_request
def before_request():
    # A URL that matches no route (request.endpoint is None) gets its 404.
    if current_user.is_authenticated \
            and not current_user.confirmed \
            and request.endpoint \
            and request.blueprint != 'auth' \
            and request.endpoint not in OPEN_ENDPOINTS:
        return redirect(url_for('auth.unconfirmed'))


def safe_next(target):
    """Return `target` if it is a path on this site, else None.

    Browsers read `//host`, `/\\host` and paths with tabs or newlines in
    them as links to another site, so those are refused along with any
    URL that has a scheme or a host.
    """
    if not target or not target.startswith('/') or target.startswith('//'):
        return None
    if '\\' in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@auth.route('/unconfirmed')
def unconfirmed():
    if current_user.is_anonymous or current_user.confirmed:
        return redirect(url_for('main.index'))
    return render_template('auth/unconfirmed.html')


@auth.route('/login', methods=['GET', 'POST'])
@throttling.failed_logins_per_ip
@throttling.failed_logins_per_account
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            sa.select(User).where(
                User.email == canonical_email(form.email.data)))
        if password_matches(user, form.password.data):
            if two_step.required(user):
                return two_step.start(user, form.remember_me.data,
                                      request.args.get('next'))
            finish_login(user, form.remember_me.data)
            next = safe_next(request.args.get('next'))
            return redirect(next or url_for('main.index'))
        flash(_('Invalid email or password.'), 'error')
    return render_template('auth/login.html', form=form)


def finish_login(user, remember):
    """Log `user` in: a new session, and a row for this login."""
    # Nothing from before the login carries over into the new session.
    session.clear()
    user.start_login(remember)
    login_user(user, remember)
    db.session.commit()


@auth.route('/logout', methods=['GET', 'POST'])
@login_required
def logout():
    # A POST with the CSRF token, from the navbar's button; a GET (an old
    # link, another site's) only shows a page with that button.
    form = ButtonForm()
    if form.validate_on_submit():
        # The login's row goes: its cookies, wherever they are, are dead.
        db.session.delete(current_user.login)
        db.session.commit()
        logout_user()
        flash(_('You have been logged out.'), 'info')
        return redirect(url_for('main.index'))
    return render_template('auth/logout.html', form=form)


@auth.route('/register', methods=['GET', 'POST'])
@throttling.registrations_per_ip
def register():
    form = RegistrationForm()
    if form.validate_on_submit():
        user = User(email=canonical_email(form.email.data),
                    username=form.username.data,
                    password=form.password.data)
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Another request took the email or username since we checked
            # (a double submit): validating again says which.
            db.session.rollback()
            form.validate()
            return render_template('auth/register.html', form=form)
        token = user.generate_confirmation_token()
        if send_email_and_wait(user.email, _l('Confirm Your Account'),
                               'auth/email/confirm', user=user,
                               token=token):
            flash(_('A confirmation email has been sent to you by email.'),
                  'info')
        else:
            flash(str(CONFIRMATION_NOT_SENT_AFTER_REGISTER), 'error')
        return redirect(url_for('auth.login'))
    return render_template('auth/register.html', form=form)


@auth.route('/confirm/<token>')
@login_required
def confirm(token):
    if current_user.confirmed:
        return redirect(url_for('main.index'))
    if current_user.confirm(token):
        db.session.commit()
        flash(_('You have confirmed your account. Thanks!'), 'success')
    else:
        flash(_('The confirmation link is invalid or has expired.'), 'error')
    return redirect(url_for('main.index'))


@auth.route('/confirm', methods=['GET', 'POST'])
@login_required
@throttling.resends_per_user
def resend_confirmation():
    # As logout: a POST with the CSRF token acts, a GET shows the button.
    form = ButtonForm()
    if not form.validate_on_submit():
        return render_template('auth/resend_confirmation.html', form=form)
    token = current_user.generate_confirmation_token()
    if send_email_and_wait(current_user.email, _l('Confirm Your Account'),
                           'auth/email/confirm', user=current_user,
                           token=token):
        flash(_('A new confirmation email has been sent to you by email.'),
              'info')
    else:
        flash(str(CONFIRMATION_NOT_SENT), 'error')
    return redirect(url_for('main.index'))


@auth.route('/change-password', methods=['GET', 'POST'])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.old_password.data):
            current_user.password = form.password.data
            # Logins elsewhere end with the old password; this one stays.
            current_user.end_other_logins()
            db.session.add(current_user)
            db.session.commit()
            send_password_changed_notice(current_user)
            flash(_('Your password has been updated.'), 'success')
            return redirect(url_for('main.index'))
        flash(_('Invalid password.'), 'error')
    return render_template('auth/change_password.html', form=form)


@auth.route('/reset', methods=['GET', 'POST'])
@throttling.reset_requests_per_ip
@throttling.reset_requests_per_email
def password_reset_request():
    if not current_user.is_anonymous:
        return redirect(url_for('main.index'))
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            sa.select(User).where(
                User.email == canonical_email(form.email.data)))
        if user:
            token = user.generate_reset_token()
            # In the background, and a failure only logged: waiting for
            # the mail server, or saying it failed, would tell a stranger
            # that the address has an account.
            send_email(user.email, _l('Reset Your Password'),
                       'auth/email/reset_password', user=user, token=token)
        flash(_('An email with instructions to reset your password has been '
                'sent to you.'), 'info')
        return redirect(url_for('auth.login'))
    return render_template('auth/reset_password.html', form=form)


def send_password_changed_notice(user):
    send_email(user.email, _l('Your password has been changed'),
               'auth/email/password_changed', user=user,
               when=datetime.now(timezone.utc))


@auth.route('/reset/<token>', methods=['GET', 'POST'])
def password_reset(token):
    if not current_user.is_anonymous:
        return redirect(url_for('main.index'))
    user = User.from_reset_token(token)
    if user is None:
        flash(_('The password reset link is invalid or has expired.'),
              'error')
        return redirect(url_for('auth.password_reset_request'))
    form = PasswordResetForm()
    form.user_inputs = [user.username, user.email]
    if form.validate_on_submit():
        if User.reset_password(token, form.password.data):
            db.session.commit()
            send_password_changed_notice(user)
            flash(_('Your password has been updated.'), 'success')
            return redirect(url_for('auth.login'))
        flash(_('The password reset link is invalid or has expired.'),
              'error')
        return redirect(url_for('auth.password_reset_request'))
    return render_template('auth/reset_password.html', form=form)


@auth.route('/change_email', methods=['GET', 'POST'])
@login_required
@throttling.email_changes_per_ip
@throttling.email_changes_per_user
def change_email_request():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.password.data):
            new_email = canonical_email(form.email.data)
            token = current_user.generate_email_change_token(new_email)
            if send_email_and_wait(new_email,
                                   _l('Confirm your email address'),
                                   'auth/email/change_email',
                                   user=current_user, token=token):
                flash(_('An email with instructions to confirm your new '
                        'email address has been sent to you.'), 'info')
                return redirect(url_for('main.index'))
            flash(str(EMAIL_CHANGE_NOT_SENT), 'error')
            return render_template('auth/change_email.html', form=form)
        flash(_('Invalid email or password.'), 'error')
    return render_template('auth/change_email.html', form=form)


@auth.route('/change_email/<token>')
@login_required
def change_email(token):
    old_email = current_user.email
    if current_user.change_email(token):
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # The address was taken between the check and the commit.
            db.session.rollback()
        else:
            send_email(old_email, _l('Your email address has been changed'),
                       'auth/email/email_changed', user=current_user,
                       old_email=old_email, when=datetime.now(timezone.utc),
                       undo_token=current_user.generate_email_undo_token(
                           old_email))
            flash(_('Your email address has been updated.'), 'success')
            return redirect(url_for('main.index'))
    flash(_('Invalid request.'), 'error')
    return redirect(url_for('main.index'))


@auth.route('/change_email/undo/<token>', methods=['GET', 'POST'])
def undo_email_change(token):
    """The owner of the old address says "this was not me": no login is
    needed, as the thief may have changed the password too."""
    found = User.from_email_undo_token(token)
    if found is None:
        flash(_('The link to undo the change is invalid or has expired.'),
              'error')
        return redirect(url_for('main.index'))
    user, old_email = found
    form = ButtonForm()
    if not form.validate_on_submit():
        return render_template('auth/undo_email_change.html', form=form,
                               old_email=old_email, new_email=user.email)
    new_email = user.email
    if not user.undo_email_change(old_email):
        flash(_('The address is now used by another account: contact the '
                "site's administrator."), 'error')
        return redirect(url_for('main.index'))
    # Nor can a way in that someone else may have added stay. (Imported
    # here: the passkeys package imports this module.)
    from ..passkeys.models import Passkey
    from ..two_step.models import TwoStep
    TwoStep.disable(user)
    Passkey.remove_all(user)
    db.session.commit()
    send_email(old_email, _l('Your email address has been put back'),
               'auth/email/email_restored', user=user,
               token=user.generate_reset_token(), new_email=new_email)
    send_email(new_email, _l('The change of email address was undone'),
               'auth/email/email_change_undone', user=user,
               old_email=old_email)
    # The logins are gone: a browser logged in to the account, this one
    # too, is a visitor's from its next request.
    flash(_('Your email address has been put back, every login of the '
            'account has ended and its password is turned off. Follow the '
            'link we have sent to that address to set a new one.'), 'success')
    return redirect(url_for('auth.login'))


@auth.route('/account')
@login_required
def account():
    return render_template('auth/account.html')


@auth.route('/sessions')
@login_required
def sessions():
    logins = db.session.scalars(
        current_user.logins.select()
        .where(Login.last_seen >= Login.cutoff())
        .order_by(Login.last_seen.desc())).all()
    return render_template('auth/sessions.html', logins=logins,
                           form=ButtonForm())


@auth.route('/sessions/<int:id>/end', methods=['POST'])
@login_required
def end_session(id):
    login = db.session.scalar(current_user.logins.select().where(
        Login.id == id))
    if not ButtonForm().validate_on_submit() or login is None:
        flash(_('Invalid request.'), 'error')
        return redirect(url_for('auth.sessions'))
    this_browser = login.id == current_user.login.id
    db.session.delete(login)
    db.session.commit()
    if this_browser:
        logout_user()
        flash(_('You have been logged out.'), 'info')
        return redirect(url_for('main.index'))
    flash(_('The session has been ended.'), 'success')
    return redirect(url_for('auth.sessions'))


@auth.route('/sessions/end-others', methods=['POST'])
@login_required
def end_other_sessions():
    if ButtonForm().validate_on_submit():
        current_user.end_other_logins()
        db.session.commit()
        flash(_('Every other session has been ended.'), 'success')
    else:
        flash(_('Invalid request.'), 'error')
    return redirect(url_for('auth.sessions'))


# The navbar's Log Out button posts a form of its own on every page.
auth.add_app_template_global(generate_csrf, 'csrf_token')
