import type { Config } from '../config/index.js';
import { publicBase } from '../config/public-base.js';
import { ApiError } from '../errors.js';
import type { MailJob } from '../queues/index.js';
import type { Runtime } from '../runtime.js';

/** Whether this instance sends mail (email.smtp_url is set). */
export function mailEnabled(config: Pick<Config, 'email'>): boolean {
  return config.email.smtp_url !== null;
}

/** 503 `email_disabled`: a route that needs mail on an instance without SMTP. */
export class EmailDisabledError extends ApiError {
  constructor() {
    super(
      503,
      'email_disabled',
      'This instance does not send mail (email.smtp_url is not set); ask an administrator',
    );
  }
}

/** Throws 503 `email_disabled` unless mail is configured. */
export function requireMail(config: Pick<Config, 'email'>): void {
  if (!mailEnabled(config)) throw new EmailDisabledError();
}

/** `<public base><path>?token=<token>`: the link a mail carries. */
export function tokenLink(config: Pick<Config, 'server'>, path: string, token: string): string {
  return `${publicBase(config)}${path}?token=${encodeURIComponent(token)}`;
}

/**
 * Queues a mail. Its data (which holds a single-use link) is removed as soon as it is sent; a mail
 * that exhausts its retries stays in the failed set (the dead letter) until its link has expired
 * anyway.
 */
export async function queueMail(rt: Pick<Runtime, 'queues'>, job: MailJob): Promise<void> {
  await rt.queues.mail.add(job.kind, job, { removeOnComplete: true });
}
