import type { Job } from 'bullmq';
import nodemailer from 'nodemailer';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { renderMail } from './mail-templates.js';

/**
 * The `mail` queue: renders a mail (text and HTML) and hands it to the SMTP server of
 * email.smtp_url. A refusal or an unreachable server fails the attempt; BullMQ retries with
 * backoff and keeps an exhausted job in the failed set (Bull Board). Without SMTP configured on
 * this worker every job fails the same way, visibly, rather than vanishing.
 */
export function createMailProcessor(rt: Runtime) {
  const url = rt.config.email.smtp_url;
  // One transport per process: nodemailer opens a connection per message (no pool to leak).
  const transport = url ? nodemailer.createTransport(url) : null;
  if (transport) rt.lifecycle.add('mail transport', () => transport.close());

  return async (job: Job<JobPayload<'mail'>>): Promise<JobResult<'mail'>> => {
    if (!transport) throw new Error('email.smtp_url is not set on this worker: cannot send mail');
    const mail = renderMail(job.data);
    const info = await transport.sendMail({
      from: rt.config.email.from,
      to: job.data.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    rt.logger.info({ queue: 'mail', job: job.id, kind: job.data.kind }, 'mail sent');
    return { message_id: info.messageId };
  };
}
