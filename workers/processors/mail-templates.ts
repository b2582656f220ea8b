import { md } from '../../shared/markdown/parser.js';
import type { MailJob } from '../../shared/queues/index.js';

/** A rendered mail: subject, plain text and HTML with the same content. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const { escapeHtml } = md.utils;

const COPY: Record<MailJob['kind'], { subject: string; intro: string; action: string; ignore: string }> = {
  password_reset: {
    subject: 'Reset your Plexichat password',
    intro: 'Someone (hopefully you) asked to reset the password of your Plexichat account.',
    action: 'Choose a new password',
    ignore: 'If it was not you, ignore this mail: your password stays as it is.',
  },
  email_verify: {
    subject: 'Verify your email address for Plexichat',
    intro: 'Confirm that this address belongs to your Plexichat account.',
    action: 'Verify this address',
    ignore: 'If you did not use this address on Plexichat, ignore this mail.',
  },
};

/** Renders a mail job into its text and HTML parts. */
export function renderMail(job: MailJob): RenderedMail {
  const copy = COPY[job.kind];
  const validity =
    job.valid_minutes % 60 === 0
      ? `${job.valid_minutes / 60} hour${job.valid_minutes === 60 ? '' : 's'}`
      : `${job.valid_minutes} minutes`;
  const expiry = `The link works once, for ${validity}.`;
  const text = [
    `Hello ${job.username},`,
    '',
    copy.intro,
    `${copy.action}: ${job.link}`,
    '',
    expiry,
    copy.ignore,
    '',
  ].join('\n');
  const link = escapeHtml(job.link);
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    `<p>Hello ${escapeHtml(job.username)},</p>`,
    `<p>${escapeHtml(copy.intro)}</p>`,
    `<p><a href="${link}">${escapeHtml(copy.action)}</a></p>`,
    `<p style="color:#555">${escapeHtml(expiry)} ${escapeHtml(copy.ignore)}<br>${link}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: copy.subject, text, html };
}
