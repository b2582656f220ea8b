import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail the receiver accepted, parsed. */
export interface ReceivedMail {
  /** RCPT TO addresses, as the sender gave them. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  /** The HTML part (empty when the mail had none). */
  html: string;
  parsed: ParsedMail;
}

/** A real SMTP server on 127.0.0.1 that keeps what it is sent (no auth, no STARTTLS). */
export interface SmtpReceiver {
  /** `smtp://127.0.0.1:<port>`: the value for `email.smtp_url`. */
  url: string;
  mails: ReceivedMail[];
  /** Mails to `address` (any case) received so far, only those whose subject matches `subject` if given. */
  to(address: string, subject?: RegExp): ReceivedMail[];
  /** Resolves with the first `count` mails `to(address, subject)` lists, waiting until they arrive. */
  waitFor(address: string, count?: number, subject?: RegExp): Promise<ReceivedMail[]>;
  /** Refuse the next `n` messages with a 451 (a temporary failure the sender should retry). */
  refuseNext(n: number): void;
  /** How many messages were refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

/** Starts an SMTP receiver on a free loopback port. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  let refusals = 0;
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (refusals > 0) {
        refusals--;
        refused++;
        stream.resume();
        const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
        stream.on('end', () => callback(err));
        return;
      }
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            parsed,
          });
          for (const wake of waiters.splice(0)) wake();
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string, subject?: RegExp) =>
    mails.filter(
      (m) =>
        m.to.some((t) => t.toLowerCase() === address.toLowerCase()) && (!subject || subject.test(m.subject)),
    );
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    async waitFor(address, count = 1, subject) {
      while (to(address, subject).length < count) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return to(address, subject).slice(0, count);
    },
    refuseNext(n) {
      refusals = n;
    },
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `token` query parameter of the first link in a mail's text to `path` (e.g. `/reset-password`). */
export function tokenFromMail(mail: ReceivedMail, path: string): string {
  const match = new RegExp(`https?://\\S+${path.replace(/[/.]/g, '\\$&')}\\?token=([A-Za-z0-9_%-]+)`).exec(
    mail.text,
  );
  if (!match?.[1]) throw new Error(`no ${path} link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]);
}
