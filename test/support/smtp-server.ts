// A real SMTP server for tests (smtp-server, on a loopback port): STARTTLS with its own self-signed certificate, AUTH
// required, each message parsed with mailparser and kept with its envelope. Addresses can be refused (`refuse`, a 5xx
// for that recipient) and the next messages answered with a temporary failure (`failNext`, a 451).
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  envelopeTo: string[];
  envelopeFrom: string;
  parsed: ParsedMail;
  raw: string;
}

export interface SmtpTestServer {
  /** `smtp://user:password@127.0.0.1:<port>`: what SMTP_URL is set to. */
  url: string;
  password: string;
  mails: ReceivedMail[];
  /** This recipient is refused at RCPT TO with `code` (5xx: permanent). */
  refuse(address: string, code?: number): void;
  /** The next `times` messages are answered 451 after their data (temporary: the sender should try again). */
  failNext(times?: number): void;
  close(): Promise<void>;
}

export async function startSmtpServer(options: { username?: string; password?: string } = {}): Promise<SmtpTestServer> {
  const username = options.username ?? 'recorder';
  const password = options.password ?? 'smtp-password-for-tests';
  const mails: ReceivedMail[] = [];
  const refused = new Map<string, number>();
  let failing = 0;
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === username && auth.password === password) callback(null, { user: username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const code = refused.get(address.address.toLowerCase());
      if (code) callback(Object.assign(new Error(`<${address.address}>: Recipient address rejected: User unknown`), { responseCode: code }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          callback(Object.assign(new Error('Requested action aborted: local error in processing'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((parsed) => {
          mails.push({
            envelopeTo: session.envelope.rcptTo.map((r) => r.address), envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', parsed, raw,
          });
          callback();
        }, (error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${username}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    password,
    mails,
    refuse: (address, code = 550) => void refused.set(address.toLowerCase(), code),
    failNext: (times = 1) => void (failing = times),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
