// A room's outgoing webhook endpoint for tests: a real HTTP server on a loopback port that keeps every delivery
// (headers and raw body, for checking the signature) and answers 200.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookReceiver {
  /** Where to send (`http://127.0.0.1:<port>/hook`). */
  url: string;
  deliveries: Array<{ headers: IncomingHttpHeaders; raw: string }>;
  close(): void;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: WebhookReceiver['deliveries'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
