// Drives the real consent page or sign-in callback page (HTML + its script, served by a running
// Plexichat) in jsdom and prints what happened as one JSON line. It runs in its own process (see provider.test.ts): jest's module
// system cannot load jsdom's ES module dependencies.
import { JSDOM, VirtualConsole } from 'jsdom';
import { report, until } from '../../helpers/page-driver.js';

/** What the test asks the driver to do. */
interface Plan {
  /** `callback`: the client-side callback page of external sign-in; otherwise the consent page. */
  page?: 'consent' | 'callback';
  url: string;
  origin: string;
  /** A session token already in localStorage, or null to sign in through the page's form. */
  token: string | null;
  login?: { login: string; password: string };
  serverId?: string;
  decision?: 'approve' | 'deny';
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;

async function main(): Promise<Record<string, unknown>> {
  const html = await (await fetch(plan.url, { headers: { accept: 'text/html' } })).text();
  const decisions: { location: string }[] = [];
  const virtualConsole = new VirtualConsole();
  // Navigating to the client is "not implemented" in jsdom: the decision is read from the API's answer.
  virtualConsole.on('jsdomError', () => undefined);
  const dom = new JSDOM(html, {
    url: plan.url,
    runScripts: 'dangerously',
    resources: 'usable',
    virtualConsole,
    beforeParse(window) {
      window.fetch = async (input: string, init?: RequestInit) => {
        const res = await fetch(new URL(input, plan.origin), init);
        if (init?.method === 'POST' && input === '/api/v1/oauth2/authorize' && res.ok) {
          decisions.push((await res.clone().json()) as { location: string });
        }
        return res;
      };
      if (plan.token) window.localStorage.setItem('plexichat_token', plan.token);
    },
  });
  const { window } = dom;
  const doc = window.document;
  const shown = (id: string) => doc.getElementById(id).hidden === false;
  if (plan.page === 'callback') {
    const status = () => String(doc.getElementById('status').textContent);
    await until('an outcome', () => status().startsWith('Signed in') || shown('error') || shown('mfa-form'));
    return {
      status: status(),
      error: shown('error') ? doc.getElementById('error').textContent : null,
      mfa: shown('mfa-form'),
      storedToken: window.localStorage.getItem('plexichat_token') as string | null,
      // The code must not stay in the address bar.
      url: window.location.href as string,
    };
  }
  let sawLoginError = false;
  if (plan.login) {
    await until('the sign-in form', () => shown('login'));
    const form = doc.getElementById('login-form');
    form.elements.namedItem('login').value = plan.login.login;
    form.elements.namedItem('password').value = 'not the password';
    form.dispatchEvent(new window.Event('submit', { cancelable: true }));
    await until('the sign-in error', () => shown('login-error'));
    sawLoginError = true;
    form.elements.namedItem('password').value = plan.login.password;
    form.dispatchEvent(new window.Event('submit', { cancelable: true }));
  }
  await until('the consent section', () => shown('consent') || shown('failed'));
  if (shown('failed')) return { failed: doc.getElementById('failed-message').textContent };
  const result = {
    appName: doc.getElementById('app-name').textContent,
    userName: doc.getElementById('user-name').textContent,
    scopes: [...doc.querySelectorAll('#scopes li')].map((li: { textContent: string }) => li.textContent),
    servers: [...doc.querySelectorAll('#server-select option')].map((o: { value: string }) => o.value),
    storedToken: window.localStorage.getItem('plexichat_token') as string | null,
    sawLoginError,
  };
  if (plan.serverId) doc.getElementById('server-select').value = plan.serverId;
  doc.getElementById(plan.decision ?? 'approve').click();
  await until('a decision', () => decisions.length > 0);
  window.close();
  return { ...result, location: decisions[0]?.location };
}

report(main);
