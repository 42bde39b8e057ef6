import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Catch,
  HttpException,
  type ArgumentsHost,
  type CallHandler,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { map, tap, type Observable } from 'rxjs';
import type { App } from 'supertest/types.js';
import { WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** An app-wide interceptor that wraps every response body, and counts the requests it saw. */
class WrapInterceptor implements NestInterceptor {
  seen = 0;

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap(() => (this.seen += 1)),
      map((body: unknown) => ({ data: body })),
    );
  }
}

/** An app-wide filter that marks the HTTP errors it answers. */
@Catch(HttpException)
class MarkingFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ status?: unknown; code?: unknown }>();
    const body = { ...(exception.getResponse() as object), filteredBy: 'app' };
    const status = exception.getStatus();
    // Express and Fastify name the status setter differently; both send JSON for an object.
    const reply = (typeof response.code === 'function' ? response.code : response.status) as (
      this: unknown,
      status: number,
    ) => { send(body: unknown): void };
    reply.call(response, status).send(body);
  }
}

/**
 * The module's route writes its answer itself: what senders read is the module's, whatever the
 * app's interceptors map; the app's observers and exception filters still run.
 */
describe.each(PLATFORMS)('the answer the module sends on %s', (platform) => {
  let testApp: TestApp;
  let server: App;
  const interceptor = new WrapInterceptor();

  beforeAll(async () => {
    testApp = await startTestApp(WebhooksModule.forRoot(testWebhooksOptions()), {
      platform,
      configure: (app) => {
        app.useGlobalInterceptors(interceptor);
        app.useGlobalFilters(new MarkingFilter());
      },
    });
    server = testApp.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  it('is the receipt as JSON, with its length and no ETag, unchanged by an interceptor that maps bodies', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    const seenBefore = interceptor.seen;
    const response = await deliver(server, '/webhooks/guuru', signed).expect(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.text)));
    expect(response.headers.etag).toBeUndefined();
    expect(JSON.parse(response.text)).toEqual({ received: true, deliveryId: expect.any(String), handled: 1 });
    // The interceptor ran around the route; only its mapping had nothing to map.
    expect(interceptor.seen).toBe(seenBefore + 1);
  });

  it('leaves refusals to the app’s exception filters', async () => {
    const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
    const forged = { ...signed, headers: { ...signed.headers, 'x-guuru-hmac-sha256': '0'.repeat(64) } };
    const response = await deliver(server, '/webhooks/guuru', forged).expect(401);
    expect(response.body).toMatchObject({ reason: 'invalid_signature', filteredBy: 'app' });
  });
});
