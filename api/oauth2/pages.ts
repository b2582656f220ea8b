import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';
import { LINK_PATHS } from '../../shared/accounts/account-tokens.js';
import { findProjectRoot } from '../docs/mount-docs.js';

/** Browser pages of the OAuth2 flows and of mailed account links: plain HTML and JS files (`script-src 'self'`). */
const PAGES_DIR = path.join(
  findProjectRoot(path.dirname(fileURLToPath(import.meta.url))),
  'api',
  'oauth2',
  'pages',
);

/** Where the pages' scripts and styles are served. */
export const PAGES_ASSET_PATH = '/oauth/assets';
/** The default `auth.oauth_client_redirect`: exchanges a login_code and keeps the token. */
export const CLIENT_CALLBACK_PATH = '/oauth/callback';

// Pages that hold codes and tokens are never cached, nor shown in frames of other sites.
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

function sendPage(res: Response, file: string): Promise<void> {
  noStore(res);
  return new Promise((resolve, reject) => {
    res.sendFile(path.join(PAGES_DIR, file), (err?: Error) => (err ? reject(err) : resolve()));
  });
}

/** Mounts the page assets and the default client-side sign-in callback page. */
export function mountOAuthPages(app: express.Express): void {
  app.use(
    PAGES_ASSET_PATH,
    express.static(path.join(PAGES_DIR, 'assets'), { maxAge: '1h', index: false, redirect: false }),
  );
  app.get(CLIENT_CALLBACK_PATH, (_req, res, next) => {
    sendPage(res, 'callback.html').catch(next);
  });
}

/**
 * Mounts the pages the reset and verification mails link to, so the links work on an instance
 * without a web client. The token is in their URL: no Referer may carry it elsewhere.
 */
export function mountAccountPages(app: express.Express): void {
  const page =
    (file: string): express.RequestHandler =>
    (_req, res, next) => {
      res.setHeader('Referrer-Policy', 'no-referrer');
      sendPage(res, file).catch(next);
    };
  app.get(LINK_PATHS.password_reset, page('reset-password.html'));
  app.get(LINK_PATHS.email_verify, page('verify-email.html'));
}

/** Answers with the consent page (its script reads the request from the URL); resolves once sent. */
export function sendConsentPage(res: Response): Promise<void> {
  return sendPage(res, 'consent.html');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A small HTML page for an authorization request that cannot go back to its client. */
export function sendErrorPage(res: Response, status: number, code: string, message: string): void {
  noStore(res);
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization failed - Plexichat</title>
<link rel="stylesheet" href="${PAGES_ASSET_PATH}/pages.css">
</head>
<body>
<main class="card">
<h1>This authorization request is invalid</h1>
<p class="error">${escapeHtml(message)}</p>
<p class="muted">Error code: <code>${escapeHtml(code)}</code>. The application that sent you here is misconfigured; you were not redirected back to it.</p>
</main>
</body>
</html>
`,
    );
}
