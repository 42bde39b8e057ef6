import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookBodyError } from '../core/errors/index.js';
import { rawBodyConsumed } from '../core/errors/webhook.messages.js';
import { isStreamUntouched, readBodyStream, tooLarge } from './read-body-stream.js';
import { platformJson } from './platform-json.js';
import { requestUrl } from './request-url.js';
import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookHttpAdapter, WebhookRoutes } from './webhook-http.adapter.js';

/** The parts of an Express request this adapter reads. */
interface ExpressRequest extends IncomingMessage {
  params?: Record<string, string | undefined>;
  /** The URL as received, before routers strip their mount paths. */
  originalUrl?: string;
  /** Set by Nest when the app is created with `{ rawBody: true }`, for bodies its parsers read. */
  rawBody?: Buffer;
  /** What the platform's parser made of the body. */
  body?: unknown;
}

/** The part of an Express response this adapter uses beyond Node's. */
interface ExpressResponse extends ServerResponse {
  send(body?: string): unknown;
}

/** What Express's `res.json()` sends JSON with. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The parts of Express 5's router this adapter reorders. */
interface ExpressAppLike {
  readonly router?: { stack?: { route?: { path?: unknown } }[] };
}

/** Express: Nest's JSON and urlencoded parsers keep `req.rawBody`; other bodies are read from the stream. */
export class ExpressWebhookAdapter implements WebhookHttpAdapter {
  readonly platform = 'express';

  method(request: unknown): string {
    // Node's parser gives methods in upper case already.
    return (request as ExpressRequest).method ?? 'GET';
  }

  headers(request: unknown): WebhookHeaders {
    return (request as ExpressRequest).headers;
  }

  param(request: unknown, name: string): string | undefined {
    return (request as ExpressRequest).params?.[name];
  }

  url(request: unknown): string {
    const req = request as ExpressRequest;
    return requestUrl(req.headers, req.socket, req.originalUrl ?? req.url ?? '/');
  }

  parsedJson(request: unknown): unknown {
    const req = request as ExpressRequest;
    return platformJson(req.body, req.rawBody, req.headers['content-type']);
  }

  readBody(request: unknown, maxBytes: number): Buffer | Promise<Buffer> {
    const req = request as ExpressRequest;
    if (Buffer.isBuffer(req.rawBody)) {
      if (req.rawBody.length > maxBytes) throw tooLarge(maxBytes);
      return req.rawBody;
    }
    if (!isStreamUntouched(req)) {
      throw new WebhookBodyError('raw_body_unavailable', rawBodyConsumed(req.headers['content-type'], 'express'));
    }
    return readBodyStream(req, maxBytes);
  }

  /**
   * Express matches routes in the order they were registered, so `GET /webhooks/:source`
   * registered first would take `/webhooks/_dashboard` or an app's own `/webhooks/status`.
   * The catch-all routes move to the end of the router's stack: every other route wins,
   * as static segments do on Fastify.
   */
  prepare(platformInstance: unknown, routes: WebhookRoutes): void {
    const stack = (platformInstance as ExpressAppLike).router?.stack;
    if (!Array.isArray(stack)) return;
    const catchAll = stack.filter((layer) => routes.catchAllRoutes.includes(layer.route?.path as string));
    if (catchAll.length === 0) return;
    const rest = stack.filter((layer) => !catchAll.includes(layer));
    stack.splice(0, stack.length, ...rest, ...catchAll);
  }

  prepareAnswer(response: unknown, status: number, contentType: string | undefined): void {
    const res = response as ServerResponse;
    res.statusCode = status;
    if (contentType !== undefined) res.setHeader('content-type', contentType);
  }

  send(response: unknown, status: number, contentType: string | undefined, body: string | undefined): void {
    this.prepareAnswer(response, status, contentType);
    (response as ExpressResponse).send(body);
  }

  sendJson(response: unknown, status: number, json: string): void {
    const res = response as ServerResponse;
    res.statusCode = status;
    res.setHeader('content-type', JSON_CONTENT_TYPE);
    res.setHeader('content-length', Buffer.byteLength(json));
    res.end(json);
  }
}
