/**
 * A real webhook receiver for tests: a node:http server on 127.0.0.1 (port 0) that records every request and
 * verifies it with the `standardwebhooks` package, an implementation of the specification independent of ours.
 * It can be told to answer an error status, or not at all, for the next N requests.
 *
 * The package checks `webhook-timestamp` against `Date.now()` (5 minutes either way), while Trouw stamps
 * messages with the test's clock (2026 and moved by the tests). Verification therefore runs with `Date.now`
 * reading the test clock for the duration of that one synchronous call, so the timestamp is checked against
 * the time the sender lived in; signature checking is untouched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The secrets (of those the receiver knows) whose verification passed. */
  verifiedWith: string[];
  /** Why verification failed with each secret that did not pass. */
  verifyErrors: string[];
  /** The status the receiver answered (null: it did not answer). */
  answeredWith: number | null;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hooks` */
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedWebhook[];
  /** The secrets to verify with (e.g. the one POST /v1/webhooks returned). */
  secrets: string[];
  /** Answer `status` to the next `count` requests (then 200 again). */
  failNext(count: number, status?: number): void;
  /** Answer every request with `status` from now on (null: back to 200). */
  failAlways(status: number | null): void;
  /** Never answer the next `count` requests (the sender's timeout must end them). */
  hangNext(count: number): void;
  /** Requests whose signature verified with the first secret. */
  verified(): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { now: () => number; secrets?: string[] }): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  let failing = 0;
  let failStatus = 500;
  let alwaysStatus: number | null = null;
  let hanging = 0;

  const verify = (secret: string, body: string, headers: http.IncomingHttpHeaders): string | null => {
    const realNow = Date.now;
    Date.now = options.now;
    try {
      new Webhook(secret).verify(body, headers as Record<string, string>);
      return null;
    } catch (error) {
      return (error as Error).message;
    } finally {
      Date.now = realNow;
    }
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedWebhook = { headers: request.headers, body, verifiedWith: [], verifyErrors: [], answeredWith: null };
      for (const secret of receiver.secrets) {
        const error = verify(secret, body, request.headers);
        if (error === null) received.verifiedWith.push(secret);
        else received.verifyErrors.push(error);
      }
      requests.push(received);
      if (hanging > 0) {
        hanging--;
        return;
      }
      let status = alwaysStatus ?? 200;
      if (failing > 0) {
        failing--;
        status = failStatus;
      }
      received.answeredWith = status;
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status >= 200 && status < 300 ? 'ok' : `receiver says no (${status})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    requests,
    secrets: options.secrets ?? [],
    failNext(count, status = 500) {
      failing = count;
      failStatus = status;
    },
    failAlways(status) {
      alwaysStatus = status;
    },
    hangNext(count) {
      hanging = count;
    },
    verified() {
      const first = receiver.secrets[0];
      return requests.filter((r) => first !== undefined && r.verifiedWith.includes(first));
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
  return receiver;
}
