// Drives the real reset-password or verify-email page (HTML + its script, served by a running
// Plexichat) in jsdom, as a user who followed the mailed link, and prints what the page showed as
// one JSON line. It runs in its own process (see account-pages.test.ts): jest's module system
// cannot load jsdom's ES module dependencies.
import { JSDOM, VirtualConsole } from 'jsdom';
import { report, until } from '../../helpers/page-driver.js';

/** What the test asks the driver to do. */
interface Plan {
  /** The mailed link, with the instance's origin in place of server.public_url. */
  url: string;
  origin: string;
  /** reset-password: what to type in "New password" and "Confirm new password" (default: the same). */
  password?: string;
  confirm?: string;
  /** verify-email: a session token already in localStorage. */
  session?: string;
  /** verify-email: the credentials to type when the page asks to sign in. */
  login?: { login: string; password: string };
}

/** The little of a DOM element the driver touches (the project compiles without the DOM lib). */
interface PageElement {
  hidden: boolean;
  textContent: string | null;
  value: string;
  click(): void;
  querySelector(selector: string): PageElement | null;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;

async function main(): Promise<Record<string, unknown>> {
  const html = await (await fetch(plan.url, { headers: { accept: 'text/html' } })).text();
  const dom = new JSDOM(html, {
    url: plan.url,
    runScripts: 'dangerously',
    resources: 'usable',
    virtualConsole: new VirtualConsole(),
    beforeParse(window) {
      window.fetch = (input: string, init?: RequestInit) => fetch(new URL(input, plan.origin), init);
      if (plan.session) window.localStorage.setItem('plexichat_token', plan.session);
    },
  });
  const { window } = dom;
  const doc = window.document;
  const byId = (id: string) => doc.getElementById(id) as PageElement | null;
  const shown = (id: string): boolean => byId(id)?.hidden === false;
  const text = (id: string): string => String(byId(id)?.textContent);
  // A user sees the field by its label: find inputs that way, as a screen reader would.
  const labelled = (label: string) =>
    [...doc.querySelectorAll('label')].find((l: { textContent: string }) => l.textContent.trim() === label)
      ?.control as PageElement;
  const submit = (formId: string) => {
    const button = byId(formId)?.querySelector('button[type=submit]');
    if (!button || String(button.textContent).trim() === '')
      throw new Error(`${formId} has no named submit button`);
    button.click();
  };
  const settled = (done: () => boolean) => until('an outcome', () => done() || shown('error'));
  const outcome = (extra: Record<string, unknown> = {}) => ({
    status: text('status'),
    error: shown('error') ? text('error') : null,
    // The token must not stay in the address bar.
    url: window.location.href as string,
    ...extra,
  });

  await until(
    'the page',
    () => shown('reset-form') || shown('login-form') || shown('error') || text('status') !== '',
  );
  if (doc.body.dataset.page === 'reset-password') {
    if (!shown('reset-form')) return outcome({ form: false });
    labelled('New password').value = plan.password ?? '';
    labelled('Confirm new password').value = plan.confirm ?? plan.password ?? '';
    submit('reset-form');
    await settled(() => /changed/.test(text('status')));
    return outcome({ form: shown('reset-form') });
  }
  await settled(() => /verified/.test(text('status')) || shown('login-form'));
  const askedToSignIn = shown('login-form');
  if (askedToSignIn && plan.login) {
    labelled('Username or email').value = plan.login.login;
    labelled('Password').value = plan.login.password;
    submit('login-form');
    await settled(() => /verified/.test(text('status')));
  }
  return outcome({
    askedToSignIn,
    storedSession: window.localStorage.getItem('plexichat_token') as string | null,
  });
}

report(main);
