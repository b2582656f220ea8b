/* global window, document, localStorage, fetch, URLSearchParams */
// The pages behind the links of account mails (reset-password, verify-email), for instances without
// a web client. Loaded as a file so they work under `script-src 'self'`. The token leaves the
// address bar at once (history, screenshots) and is only ever sent in a POST body.
(function () {
  'use strict';
  var TOKEN_KEY = 'plexichat_token';
  var API = '/api/v1';
  var page = document.body.getAttribute('data-page');
  var token = new URLSearchParams(window.location.search).get('token');
  window.history.replaceState(null, '', window.location.pathname);
  var ticket = null;

  function $(id) {
    return document.getElementById(id);
  }

  function field(form, name) {
    return form.elements.namedItem(name).value;
  }

  function status(text) {
    $('error').hidden = true;
    $('status').textContent = text;
  }

  // Names the fields the API refused (`errors` of the error body) after its message.
  function showError(body, fallback) {
    var text = body.message || fallback;
    var errors = body.errors || {};
    var details = Object.keys(errors).map(function (name) {
      return errors[name];
    });
    if (details.length > 0 && details.join(' ') !== text) text += ' ' + details.join(' ');
    $('status').textContent = '';
    $('error').textContent = text;
    $('error').hidden = false;
  }

  async function post(path, body, session) {
    var headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    if (session) headers.Authorization = 'Bearer ' + session;
    var res = await fetch(API + path, { method: 'POST', headers: headers, body: JSON.stringify(body) });
    var data = await res.json().catch(function () {
      return {};
    });
    return { ok: res.ok, status: res.status, body: data };
  }

  function hideForms() {
    ['reset-form', 'login-form', 'mfa-form'].forEach(function (id) {
      if ($(id)) $(id).hidden = true;
    });
  }

  function resetPage() {
    var form = $('reset-form');
    form.hidden = false;
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      if (field(form, 'password') !== field(form, 'confirm')) {
        return showError({ message: 'The two passwords differ.' });
      }
      status('Saving…');
      var res = await post('/auth/password/reset', { token: token, password: field(form, 'password') });
      if (!res.ok) {
        if (res.body.code === 'invalid_token') {
          hideForms();
          return showError({ message: 'This link has expired or was already used. Ask for a new one.' });
        }
        return showError(res.body, 'The password could not be changed.');
      }
      hideForms();
      status('Your password was changed and every session signed out. Sign in with the new password.');
    });
  }

  async function verify(session) {
    status('Verifying…');
    var res = await post('/users/@me/email/verify', { token: token }, session);
    if (res.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      return signIn();
    }
    hideForms();
    if (!res.ok) {
      if (res.body.code === 'invalid_token') {
        return showError({
          message: 'This link has expired, was already used, or belongs to another account or address.',
        });
      }
      return showError(res.body, 'The address could not be verified.');
    }
    status('Your email address is verified. You can close this page.');
  }

  function signedIn(result) {
    localStorage.setItem(TOKEN_KEY, result.token);
    return verify(result.token);
  }

  function signIn() {
    status('');
    $('mfa-form').hidden = true;
    $('login-form').hidden = false;
  }

  function verifyPage() {
    $('login-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      var form = event.target;
      var res = await post('/auth/login', { login: field(form, 'login'), password: field(form, 'password') });
      if (!res.ok) return showError(res.body, 'Sign-in failed.');
      if (res.body.mfa_required) {
        ticket = res.body.ticket;
        $('login-form').hidden = true;
        $('mfa-form').hidden = false;
        return status('Enter your two-factor code.');
      }
      return signedIn(res.body);
    });
    $('mfa-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      var res = await post('/auth/mfa/totp', { ticket: ticket, code: field(event.target, 'code') });
      if (!res.ok) return showError(res.body, 'Wrong code.');
      return signedIn(res.body);
    });
    var session = localStorage.getItem(TOKEN_KEY);
    if (session) verify(session);
    else signIn();
  }

  if (!token) showError({ message: 'This page needs the link from your email: open it from there.' });
  else if (page === 'reset-password') resetPage();
  else verifyPage();
})();
