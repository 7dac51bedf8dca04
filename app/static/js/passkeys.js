/* Passkeys (WebAuthn): add one, sign in with one, confirm it is you.
 *
 * Each part of a page that uses passkeys is an element with
 * data-passkey="add", "sign-in" or "verify", hidden until this script
 * finds that the browser can do WebAuthn. Its data-* attributes give the
 * URLs, the CSRF token and the texts. The requests are forms (the site
 * takes no other POST body); the server answers JSON: the options for
 * the browser, then {redirect: url} or {error: message}.
 */
(function () {
    'use strict';

    if (!window.PublicKeyCredential || !window.fetch) {
        return;
    }

    function toBytes(base64url) {
        const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
        const padded = base64 + '='.repeat((4 - base64.length % 4) % 4);
        return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    }

    function toBase64url(buffer) {
        const bytes = new Uint8Array(buffer);
        let text = '';
        for (let i = 0; i < bytes.length; i++) {
            text += String.fromCharCode(bytes[i]);
        }
        return btoa(text).replace(/\+/g, '-').replace(/\//g, '_')
            .replace(/=+$/, '');
    }

    function withIds(descriptors) {
        return (descriptors || []).map((d) => Object.assign({}, d, {
            id: toBytes(d.id)
        }));
    }

    function creationOptions(json) {
        return Object.assign({}, json, {
            challenge: toBytes(json.challenge),
            user: Object.assign({}, json.user, {id: toBytes(json.user.id)}),
            excludeCredentials: withIds(json.excludeCredentials)
        });
    }

    function requestOptions(json) {
        return Object.assign({}, json, {
            challenge: toBytes(json.challenge),
            allowCredentials: withIds(json.allowCredentials)
        });
    }

    function credentialJSON(credential) {
        const r = credential.response;
        const response = {clientDataJSON: toBase64url(r.clientDataJSON)};
        if (r.attestationObject) {
            response.attestationObject = toBase64url(r.attestationObject);
            response.transports = r.getTransports ? r.getTransports() : [];
        } else {
            response.authenticatorData = toBase64url(r.authenticatorData);
            response.signature = toBase64url(r.signature);
            if (r.userHandle) {
                response.userHandle = toBase64url(r.userHandle);
            }
        }
        return JSON.stringify({
            id: credential.id,
            rawId: toBase64url(credential.rawId),
            type: credential.type,
            response: response,
            authenticatorAttachment: credential.authenticatorAttachment,
            clientExtensionResults: credential.getClientExtensionResults()
        });
    }

    // POST `fields` as a form; the JSON answer, or an Error with the
    // server's message.
    async function post(url, fields) {
        const response = await fetch(url, {
            method: 'POST',
            body: new URLSearchParams(fields),
            credentials: 'same-origin',
            headers: {Accept: 'application/json'}
        });
        let answer = {};
        try {
            answer = await response.json();
        } catch (e) {
            // Not JSON (an error page): the element's own text says so.
        }
        if (!response.ok) {
            throw new Error(answer.error || '');
        }
        return answer;
    }

    function run(element, ceremony) {
        const error = element.querySelector('[data-passkey-error]');
        return async function (event) {
            event.preventDefault();
            error.removeAttribute('role');
            error.textContent = '';
            try {
                const answer = await ceremony();
                window.location.assign(answer.redirect);
            } catch (e) {
                // A DOMException is the browser's (the person cancelled,
                // no passkey): the page's text, in the page's language.
                // An alert only once it has something to say.
                error.setAttribute('role', 'alert');
                error.textContent = (!(e instanceof DOMException) &&
                                     e.message) || element.dataset.errorText;
            }
        };
    }

    function setUpAdd(element) {
        const form = element.querySelector('form');
        form.addEventListener('submit', run(element, async function () {
            const fields = Object.fromEntries(new FormData(form));
            const options = await post(element.dataset.optionsUrl, fields);
            const credential = await navigator.credentials.create(
                {publicKey: creationOptions(options)});
            return post(element.dataset.finishUrl, {
                csrf_token: fields.csrf_token,
                name: fields.name,
                credential: credentialJSON(credential)
            });
        }));
    }

    function setUpButton(element) {
        const csrf = element.dataset.csrfToken;
        const button = element.querySelector('button');
        button.addEventListener('click', run(element, async function () {
            const options = await post(element.dataset.optionsUrl,
                                       {csrf_token: csrf});
            const credential = await navigator.credentials.get(
                {publicKey: requestOptions(options)});
            return post(element.dataset.finishUrl, {
                csrf_token: csrf,
                credential: credentialJSON(credential)
            });
        }));
    }

    document.querySelectorAll('[data-passkey]').forEach((element) => {
        if (element.dataset.passkey === 'add') {
            setUpAdd(element);
        } else {
            setUpButton(element);
        }
        element.hidden = false;
    });
    document.querySelectorAll('[data-passkey-fallback]').forEach(
        (element) => { element.hidden = true; });
}());
