/* global window, document, localStorage, fetch, URLSearchParams */
// The OAuth2 consent page: no framework, loaded as a file so the page works under `script-src 'self'`.
// It signs the user in (or reuses the token kept in localStorage), shows what the application asks
// for, and posts the decision; the API answers with where to send the browser.
(function () {
  'use strict';
  var TOKEN_KEY = 'plexichat_token';
  var API = '/api/v1';
  var PARAMS = [
    'client_id',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'permissions',
  ];
  var query = new URLSearchParams(window.location.search);
  var request = {};
  PARAMS.forEach(function (name) {
    if (query.has(name)) request[name] = query.get(name);
  });
  var ticket = null;

  function $(id) {
    return document.getElementById(id);
  }

  function field(form, name) {
    return form.elements.namedItem(name).value;
  }

  function show(id) {
    ['loading', 'login', 'consent', 'failed'].forEach(function (s) {
      $(s).hidden = s !== id;
    });
  }

  function showText(id, text) {
    $(id).textContent = text;
    $(id).hidden = !text;
  }

  function fail(message, location) {
    showText('failed-message', message);
    if (location) {
      $('failed-back').href = location;
      $('failed-back').hidden = false;
    }
    show('failed');
  }

  async function call(method, path, body, token) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    var res = await fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    var data = await res.json().catch(function () {
      return {};
    });
    return { status: res.status, ok: res.ok, body: data || {} };
  }

  function signOut() {
    localStorage.removeItem(TOKEN_KEY);
    $('mfa-form').hidden = true;
    $('login-form').hidden = false;
    showText('login-error', '');
    show('login');
  }

  function signedIn(token) {
    localStorage.setItem(TOKEN_KEY, token);
    load(token);
  }

  async function load(token) {
    show('loading');
    var res = await call(
      'GET',
      '/oauth2/authorize?' + new URLSearchParams(request).toString(),
      undefined,
      token,
    );
    if (res.status === 401) return signOut();
    if (!res.ok) return fail(res.body.message || 'The request was refused.', res.body.location);
    render(res.body, token);
  }

  function render(info, token) {
    $('app-name').textContent = info.application.name;
    $('user-name').textContent = info.user.username;
    showText('app-description', info.application.description);
    $('redirect-uri').textContent = info.redirect_uri;
    var list = $('scopes');
    list.textContent = '';
    info.scopes.forEach(function (scope) {
      var item = document.createElement('li');
      item.textContent = info.scope_descriptions[scope] || scope;
      list.appendChild(item);
    });
    var bot = info.scopes.indexOf('bot') >= 0;
    $('bot-server').hidden = !bot;
    var select = $('server-select');
    select.textContent = '';
    (info.servers || []).forEach(function (server) {
      var option = document.createElement('option');
      option.value = server.id;
      option.textContent = server.name;
      select.appendChild(option);
    });
    var noServers = bot && (info.servers || []).length === 0;
    $('no-servers').hidden = !noServers;
    select.hidden = noServers;
    $('approve').disabled = noServers;
    $('approve').onclick = function () {
      decide(true, bot ? select.value : undefined, token);
    };
    $('deny').onclick = function () {
      decide(false, undefined, token);
    };
    show('consent');
  }

  async function decide(approve, serverId, token) {
    $('approve').disabled = true;
    $('deny').disabled = true;
    var body = Object.assign({}, request, { approve: approve });
    if (serverId) body.server_id = serverId;
    var res = await call('POST', '/oauth2/authorize', body, token);
    if (res.ok && res.body.location) {
      window.location.assign(res.body.location);
      return;
    }
    if (res.status === 401) return signOut();
    showText('consent-error', res.body.message || 'The request was refused.');
    $('approve').disabled = false;
    $('deny').disabled = false;
  }

  $('login-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var form = event.target;
    var res = await call('POST', '/auth/login', {
      login: field(form, 'login'),
      password: field(form, 'password'),
    });
    if (!res.ok) return showText('login-error', res.body.message || 'Sign-in failed.');
    if (res.body.mfa_required) {
      ticket = res.body.ticket;
      $('login-form').hidden = true;
      $('mfa-form').hidden = false;
      showText('login-error', '');
      return;
    }
    signedIn(res.body.token);
  });

  $('mfa-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var res = await call('POST', '/auth/mfa/totp', { ticket: ticket, code: field(event.target, 'code') });
    if (!res.ok) return showText('login-error', res.body.message || 'Wrong code.');
    signedIn(res.body.token);
  });

  $('switch-user').addEventListener('click', function (event) {
    event.preventDefault();
    signOut();
  });

  var stored = localStorage.getItem(TOKEN_KEY);
  if (stored) load(stored);
  else signOut();
})();
