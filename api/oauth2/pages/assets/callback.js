/* global window, document, localStorage, fetch, URLSearchParams */
// The default client-side callback of external sign-in (auth.oauth_client_redirect): trades the
// one-time login_code for a session token, which it keeps in localStorage like the consent page.
(function () {
  'use strict';
  var TOKEN_KEY = 'plexichat_token';
  var API = '/api/v1';
  var query = new URLSearchParams(window.location.search);
  var ticket = null;

  // The code works once: a reload must not try it again.
  window.history.replaceState(null, '', window.location.pathname);

  function $(id) {
    return document.getElementById(id);
  }

  function field(form, name) {
    return form.elements.namedItem(name).value;
  }

  function showError(text) {
    $('status').hidden = true;
    $('error').textContent = text;
    $('error').hidden = false;
  }

  async function post(path, body) {
    var res = await fetch(API + path, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    var data = await res.json().catch(function () {
      return {};
    });
    return { ok: res.ok, body: data };
  }

  function done(result) {
    localStorage.setItem(TOKEN_KEY, result.token);
    $('mfa-form').hidden = true;
    $('error').hidden = true;
    $('status').hidden = false;
    $('status').textContent = 'Signed in as ' + result.user.username + '. You can close this page.';
  }

  async function exchange(code) {
    var res = await post('/auth/oauth/exchange', { login_code: code });
    if (!res.ok) return showError(res.body.message || 'Sign-in failed.');
    if (res.body.mfa_required) {
      ticket = res.body.ticket;
      $('status').textContent = 'Enter your two-factor code to finish signing in.';
      $('mfa-form').hidden = false;
      return;
    }
    done(res.body);
  }

  $('mfa-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var res = await post('/auth/mfa/totp', { ticket: ticket, code: field(event.target, 'code') });
    if (!res.ok) return showError(res.body.message || 'Wrong code.');
    done(res.body);
  });

  if (query.get('error'))
    showError('Sign-in failed: ' + (query.get('error_description') || query.get('error')));
  else if (query.get('login_code')) exchange(query.get('login_code'));
  else showError('Nothing to sign in with: open this page from a sign-in.');
})();
