import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { App } from 'supertest/types.js';
import { WebhookEvents, WebhookSigner, WebhooksModule, type WebhookOutcomeEvent } from '../../lib/index.js';
import { usersnapFeedback } from '../../sample/payloads.js';
import { eventually } from '../support/queue-idle.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/**
 * A sender whose connection drops mid-body. Usersnap posts multipart bodies, which no platform
 * parser reads on either platform: the library reads the stream itself, so it sees the abort.
 * (A JSON body is read by the platform's own parser, which meets the abort before any route runs;
 * see docs/statuses.md.)
 */
describe.each(PLATFORMS)('a client that aborts mid-body on %s', (platform) => {
  let testApp: TestApp;
  let port: number;
  const events: WebhookOutcomeEvent[] = [];

  beforeAll(async () => {
    testApp = await startTestApp(WebhooksModule.forRoot(testWebhooksOptions()), { platform });
    testApp.app.get(WebhookEvents).onOutcome((event) => events.push(event));
    await testApp.app.listen(0, '127.0.0.1');
    port = ((testApp.app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  /** Sends the head and the first `sentBytes` of a delivery, then destroys the socket. */
  async function abortMidBody(headers: Record<string, string>, body: Buffer, sentBytes: number): Promise<void> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const head = Object.entries({ ...headers, host: `127.0.0.1:${port}`, 'content-length': String(body.length) })
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    // The connection drops once the server has the request: before that there is no delivery to record.
    const requestArrived = once(testApp.app.getHttpServer() as Server, 'request');
    socket.write(`POST /webhooks/usersnap HTTP/1.1\r\n${head}\r\n\r\n`);
    socket.write(body.subarray(0, sentBytes));
    await requestArrived;
    socket.destroy();
  }

  it('is recorded as body_unreadable, runs no handler, and the app keeps serving', async () => {
    const signer = testApp.app.get(WebhookSigner);
    const signed = signer.sign('usersnap', usersnapFeedback, {
      attachments: [{ name: 'screenshot', filename: 'big.bin', data: Buffer.alloc(200_000, 0x5a) }],
    });
    const body = Buffer.from(signed.body);

    await abortMidBody(signed.headers, body, 1_000);

    await eventually(() => events.length > 0, 10_000, 'an outcome for the aborted delivery');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'rejected', reason: 'body_unreadable', source: 'usersnap' });
    expect(testApp.calls.calls).toHaveLength(0);

    // The same delivery, sent whole, is handled: nothing of the aborted one was remembered.
    const server = testApp.app.getHttpServer() as App;
    await deliver(server, '/webhooks/usersnap', signed).expect(200);
    expect(testApp.calls.of('usersnap')).toHaveLength(1);
  });
});
