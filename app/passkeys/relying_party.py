"""The WebAuthn side of passkeys, on py_webauthn: the options the browser
gets, the checks of what it sends back, and the challenge between them.

`webauthn` is imported inside the functions: it loads `cryptography`,
which workers that only serve pages need not carry.
"""
import ipaddress
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request, session

from .. import db
from ..models import utcnow
from .models import Passkey, PasskeyUser

# How long the browser has to answer a challenge, in seconds.
CHALLENGE_SECONDS = 5 * 60
CHALLENGE_KEY = 'passkey_challenge'
RP_NAME = 'Flasky'


class Refused(Exception):
    """What the browser sent is not a valid answer to our challenge."""


def relying_party():
    """(RP ID, origin). Unset in the configuration, the origin is the
    site's address (SERVER_NAME), or, without one, the address the page
    was opened at (TRUSTED_HOSTS has checked it); the RP ID its host."""
    config = current_app.config
    origin = config.get('FLASKY_WEBAUTHN_ORIGIN')
    if not origin:
        if config.get('SERVER_NAME'):
            origin = '{}://{}'.format(config['PREFERRED_URL_SCHEME'],
                                      config['SERVER_NAME'])
        else:
            origin = f'{request.scheme}://{request.host}'
    rp_id = config.get('FLASKY_WEBAUTHN_RP_ID') or urlsplit(origin).hostname
    return rp_id, origin


def localhost_url():
    """Where passkeys work in development, if this page was opened at an
    IP address, which browsers refuse as an RP ID; else None."""
    rp_id, _ = relying_party()
    try:
        ipaddress.ip_address(rp_id)
    except ValueError:
        return None
    port = urlsplit(request.host_url).port
    host = f'localhost:{port}' if port else 'localhost'
    return request.url.replace(request.host, host, 1)


def new_challenge(purpose):
    """A random challenge for `purpose`, kept in the session, which it
    replaces any other in."""
    challenge = secrets.token_bytes(32)
    session[CHALLENGE_KEY] = {'purpose': purpose,
                              'challenge': challenge.hex(),
                              'issued': time.time()}
    return challenge


def take_challenge(purpose):
    """(challenge, when it was issued) for `purpose`, taken out of the
    session: each is used once, and within CHALLENGE_SECONDS."""
    kept = session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get('purpose') != purpose:
        raise Refused('no challenge for ' + purpose)
    issued = kept.get('issued')
    if not isinstance(issued, (int, float)) \
            or not 0 <= time.time() - issued <= CHALLENGE_SECONDS:
        raise Refused('the challenge has expired')
    try:
        return bytes.fromhex(kept['challenge']), issued
    except (KeyError, TypeError, ValueError):
        raise Refused('a malformed challenge') from None


def registration_options(user):
    """The JSON for navigator.credentials.create(): a discoverable
    credential, with user verification, not on an authenticator that
    already has one of the user's passkeys."""
    import webauthn  # loads cryptography: see the module's docstring
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
        ResidentKeyRequirement, UserVerificationRequirement)
    rp_id, _ = relying_party()
    existing = db.session.scalars(sa.select(Passkey.credential_id).where(
        Passkey.user_id == user.id)).all()
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=RP_NAME,
        user_id=PasskeyUser.handle_of(user),
        user_name=user.email or user.username,
        user_display_name=user.username,
        challenge=new_challenge('register'),
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=id)
                             for id in existing])
    return webauthn.options_to_json(options)


def verify_registration(user, credential_json, name):
    """A new Passkey of `user` from the browser's answer (the view adds
    and commits it); raises Refused."""
    import webauthn  # loads cryptography: see the module's docstring
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException
    challenge, _ = take_challenge('register')
    rp_id, origin = relying_party()
    try:
        credential = parse_registration_credential_json(credential_json)
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origin,
            require_user_verification=True)
    except WebAuthnException as e:
        raise Refused(str(e)) from e
    transports = ','.join(t.value for t in
                          credential.response.transports or [])
    return Passkey(user_id=user.id, credential_id=verified.credential_id,
                   public_key=verified.credential_public_key,
                   sign_count=verified.sign_count, name=name,
                   transports=transports[:Passkey.TRANSPORTS_LENGTH] or None)


def authentication_options(purpose):
    """The JSON for navigator.credentials.get(): any passkey of this
    site (no allowCredentials), the browser asks which; user
    verification required, as the passkey replaces the password."""
    import webauthn  # loads cryptography: see the module's docstring
    from webauthn.helpers.structs import UserVerificationRequirement
    rp_id, _ = relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, challenge=new_challenge(purpose),
        timeout=CHALLENGE_SECONDS * 1000, allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED)
    return webauthn.options_to_json(options)


def verify_authentication(credential_json, purpose, user=None):
    """The Passkey the browser's answer was signed with (one of `user`'s,
    if given), its sign count and last use updated (the view commits);
    raises Refused."""
    import webauthn  # loads cryptography: see the module's docstring
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException
    challenge, issued = take_challenge(purpose)
    rp_id, origin = relying_party()
    try:
        credential = parse_authentication_credential_json(credential_json)
    except WebAuthnException as e:
        raise Refused(str(e)) from e
    passkey = db.session.scalar(sa.select(Passkey).where(
        Passkey.credential_id == credential.raw_id))
    if passkey is None:
        raise Refused('no such passkey')
    handle = credential.response.user_handle
    owner = db.session.get(PasskeyUser, passkey.user_id)
    if handle is not None and (owner is None or handle != owner.handle):
        raise Refused("the user handle is not the passkey's user's")
    # A challenge issued before the passkey's last use is refused: the
    # session is a cookie, which a replay could send again with the
    # challenge still in it.
    if passkey.last_used is not None and passkey.last_used >= \
            datetime.fromtimestamp(issued, timezone.utc).replace(
                tzinfo=None):
        raise Refused('the challenge was issued before the last use')
    try:
        # The count is compared below, once the signature holds: the
        # library would refuse a lower one with any other failure.
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,
            require_user_verification=True)
    except WebAuthnException as e:
        raise Refused(str(e)) from e
    new, old = verified.new_sign_count, passkey.sign_count
    if (new or old) and new <= old:
        # A signed count that went back: the key may have been copied.
        current_app.logger.warning(
            'Passkey %s of user %s refused: its sign count went from %s '
            'to %s, so the authenticator may have been cloned.',
            passkey.id, passkey.user_id, old, new)
        raise Refused('the sign count went back')
    if user is not None and passkey.user_id != user.id:
        raise Refused("another user's passkey")
    passkey.sign_count = new
    passkey.last_used = utcnow()
    return passkey
