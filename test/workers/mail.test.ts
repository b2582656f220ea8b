import { queueMail } from '../../shared/mail/index.js';
import { useMailApp } from '../helpers/mail-app.js';

const { app, smtp } = useMailApp({ queues: { attempts: 3, backoff_ms: 20 } }, { gateway: false });

const job = (to: string) => ({
  kind: 'email_verify' as const,
  to,
  username: 'mail_test',
  link: 'https://chat.example.test/verify-email?token=abc',
  valid_minutes: 1440,
});

/** Waits until the mail queue's failed set holds `count` jobs. */
async function failedJobs(count: number) {
  for (;;) {
    const failed = await app.rt.queues.mail.getFailed();
    if (failed.length >= count) return failed;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the mail worker', () => {
  it('sends text and HTML, and removes the job (and its link) once sent', async () => {
    await queueMail(app.rt, job('sent@example.test'));
    const [mail] = await smtp.waitFor('sent@example.test');
    expect(mail!.subject).toBe('Verify your email address for Plexichat');
    expect(mail!.text).toContain('Verify this address: https://chat.example.test/verify-email?token=abc');
    expect(mail!.html).toContain('<a href="https://chat.example.test/verify-email?token=abc">');
    expect(mail!.text).toContain('24 hours');
    expect(await app.rt.queues.mail.getCompletedCount()).toBe(0);
  });

  it('retries a refused mail with backoff and keeps it in the failed set (the dead letter) when it never goes', async () => {
    smtp.refuseNext(3);
    await queueMail(app.rt, job('refused@example.test'));
    const [failed] = await failedJobs(1);
    expect(failed!.attemptsMade).toBe(3);
    expect(failed!.failedReason).toMatch(/451/);
    expect(smtp.to('refused@example.test')).toEqual([]);
  }, 30_000);
});
