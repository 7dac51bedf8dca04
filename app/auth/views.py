from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user, login_required, login_user, logout_user

from .. import db
from ..email import send_email, send_email_and_wait
from ..models import User, password_matches
from . import auth, throttling
from .forms import (ChangeEmailForm, ChangePasswordForm, LoginForm,
                    PasswordResetForm, PasswordResetRequestForm,
                    RegistrationForm)

# What the page says when an email the user asked for could not be sent
# (send_email_and_wait logs why). The account or the request stays: the
# user can ask again.
CONFIRMATION_NOT_SENT_AFTER_REGISTER = (
    'Your account has been created, but the confirmation email could not '
    'be sent. Log in, then use the link to have it sent again.')
CONFIRMATION_NOT_SENT = ('The confirmation email could not be sent. '
                         'Please try again later.')
RESET_NOT_SENT = ('The email with instructions to reset your password '
                  'could not be sent. Please try again later.')
EMAIL_CHANGE_NOT_SENT = ('The email to confirm your new email address '
                         'could not be sent. Please try again later.')

# Pages an unconfirmed user may still reach: the auth pages and the files
# the pages need.
OPEN_ENDPOINTS = {'static', 'main.moment_js'}


@auth.before_app_request
def before_request():
    if current_user.is_authenticated \
            and not current_user.confirmed \
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
            sa.select(User).where(User.email == form.email.data.lower()))
        if password_matches(user, form.password.data):
            if db.session.dirty:
                db.session.commit()  # keeps a hash brought up to date
            # Nothing from before the login carries over into the new
            # session.
            session.clear()
            login_user(user, form.remember_me.data)
            next = safe_next(request.args.get('next'))
            return redirect(next or url_for('main.index'))
        flash('Invalid email or password.')
    return render_template('auth/login.html', form=form)


@auth.route('/logout')
@login_required
def logout():
    logout_user()
    flash('You have been logged out.')
    return redirect(url_for('main.index'))


@auth.route('/register', methods=['GET', 'POST'])
@throttling.registrations_per_ip
def register():
    form = RegistrationForm()
    if form.validate_on_submit():
        user = User(email=form.email.data.lower(),
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
        if send_email_and_wait(user.email, 'Confirm Your Account',
                               'auth/email/confirm', user=user,
                               token=token):
            flash('A confirmation email has been sent to you by email.')
        else:
            flash(CONFIRMATION_NOT_SENT_AFTER_REGISTER)
        return redirect(url_for('auth.login'))
    return render_template('auth/register.html', form=form)


@auth.route('/confirm/<token>')
@login_required
def confirm(token):
    if current_user.confirmed:
        return redirect(url_for('main.index'))
    if current_user.confirm(token):
        db.session.commit()
        flash('You have confirmed your account. Thanks!')
    else:
        flash('The confirmation link is invalid or has expired.')
    return redirect(url_for('main.index'))


@auth.route('/confirm')
@login_required
@throttling.resends_per_user
def resend_confirmation():
    token = current_user.generate_confirmation_token()
    if send_email_and_wait(current_user.email, 'Confirm Your Account',
                           'auth/email/confirm', user=current_user,
                           token=token):
        flash('A new confirmation email has been sent to you by email.')
    else:
        flash(CONFIRMATION_NOT_SENT)
    return redirect(url_for('main.index'))


@auth.route('/change-password', methods=['GET', 'POST'])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.old_password.data):
            current_user.password = form.password.data
            db.session.add(current_user)
            db.session.commit()
            # Every other session and remember-me cookie died with the old
            # session token; this one goes on with the new token.
            remembered = current_app.config.get(
                'REMEMBER_COOKIE_NAME', 'remember_token') in request.cookies
            # The user itself, not the current_user proxy.
            user = db.session.get(User, current_user.id)
            login_user(user, remember=remembered)
            send_password_changed_notice(current_user)
            flash('Your password has been updated.')
            return redirect(url_for('main.index'))
        flash('Invalid password.')
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
            sa.select(User).where(User.email == form.email.data.lower()))
        if user:
            token = user.generate_reset_token()
            # Saying that the email could not be sent tells that the
            # address has an account, but only while the mail server
            # fails, and the user must know to try again.
            if not send_email_and_wait(user.email, 'Reset Your Password',
                                       'auth/email/reset_password',
                                       user=user, token=token):
                flash(RESET_NOT_SENT)
                return render_template('auth/reset_password.html',
                                       form=form)
        flash('An email with instructions to reset your password has been '
              'sent to you.')
        return redirect(url_for('auth.login'))
    return render_template('auth/reset_password.html', form=form)


def send_password_changed_notice(user):
    send_email(user.email, 'Your password has been changed',
               'auth/email/password_changed', user=user,
               when=datetime.now(timezone.utc))


@auth.route('/reset/<token>', methods=['GET', 'POST'])
def password_reset(token):
    if not current_user.is_anonymous:
        return redirect(url_for('main.index'))
    user = User.from_reset_token(token)
    if user is None:
        flash('The password reset link is invalid or has expired.')
        return redirect(url_for('auth.password_reset_request'))
    form = PasswordResetForm()
    form.user_inputs = [user.username, user.email]
    if form.validate_on_submit():
        if User.reset_password(token, form.password.data):
            db.session.commit()
            send_password_changed_notice(user)
            flash('Your password has been updated.')
            return redirect(url_for('auth.login'))
        flash('The password reset link is invalid or has expired.')
        return redirect(url_for('auth.password_reset_request'))
    return render_template('auth/reset_password.html', form=form)


@auth.route('/change_email', methods=['GET', 'POST'])
@login_required
def change_email_request():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.password.data):
            new_email = form.email.data.lower()
            token = current_user.generate_email_change_token(new_email)
            if send_email_and_wait(new_email, 'Confirm your email address',
                                   'auth/email/change_email',
                                   user=current_user, token=token):
                flash('An email with instructions to confirm your new '
                      'email address has been sent to you.')
                return redirect(url_for('main.index'))
            flash(EMAIL_CHANGE_NOT_SENT)
            return render_template('auth/change_email.html', form=form)
        flash('Invalid email or password.')
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
            send_email(old_email, 'Your email address has been changed',
                       'auth/email/email_changed', user=current_user,
                       old_email=old_email, when=datetime.now(timezone.utc))
            flash('Your email address has been updated.')
            return redirect(url_for('main.index'))
    flash('Invalid request.')
    return redirect(url_for('main.index'))
