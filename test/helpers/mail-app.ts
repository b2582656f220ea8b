import crypto from 'node:crypto';
import { registerUser, type TestUser } from './accounts.js';
import { standIn, startTestApp, useStarted, type TestApp, type TestAppOptions } from './app.js';
import { testConfig } from './config.js';
import { startSmtpReceiver, type SmtpReceiver } from './smtp-receiver.js';

/** The public URL mailed links are built from in these tests (the instance itself stands for it). */
export const MAIL_PUBLIC_URL = 'https://chat.example.test';

/** A running Plexichat whose mail goes to a real SMTP server on loopback. */
export interface MailApp {
  app: TestApp;
  smtp: SmtpReceiver;
  /** Stops the app, then the SMTP server. */
  close(): Promise<void>;
}

/**
 * Starts an SMTP receiver and a Plexichat sending to it, with `server.public_url` set to
 * MAIL_PUBLIC_URL; `overrides` are merged over that config (another public_url wins).
 */
export async function startMailApp(
  overrides: Record<string, unknown> = {},
  options: Omit<TestAppOptions, 'config'> = {},
): Promise<MailApp> {
  const smtp = await startSmtpReceiver();
  const { email, server, ...rest } = overrides as { email?: object; server?: object };
  const app = await startTestApp({
    ...options,
    config: testConfig({
      ...rest,
      server: { public_url: MAIL_PUBLIC_URL, ...server },
      email: { smtp_url: smtp.url, ...email },
    }),
  });
  return {
    app,
    smtp,
    async close() {
      await app.close();
      await smtp.close();
    },
  };
}

/**
 * startMailApp for a whole suite (beforeAll/afterAll registered here, as useTestApp does): the app
 * and its SMTP server as stand-ins that read the started ones.
 */
export function useMailApp(
  overrides: Record<string, unknown> = {},
  options: Omit<TestAppOptions, 'config'> = {},
): Pick<MailApp, 'app' | 'smtp'> {
  const mail = useStarted(
    'mail app',
    () => startMailApp(overrides, options),
    (started) => started.close(),
  );
  return { app: standIn('app', () => mail.app), smtp: standIn('smtp', () => mail.smtp) };
}

/** A fresh address nobody has used (`prefix` tells the tests' mails apart when reading logs). */
export const emailAddress = (prefix = 'm'): string =>
  `${prefix}${crypto.randomBytes(5).toString('hex')}@example.test`;

/** Registers a user with a fresh email address. */
export async function registerWithEmail(
  app: TestApp,
  prefix?: string,
): Promise<TestUser & { email: string }> {
  const email = emailAddress(prefix);
  return { ...(await registerUser(app, { email })), email };
}
