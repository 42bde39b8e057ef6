import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookBodyError } from '../core/errors/index.js';
import { rawBodyConsumed } from '../core/errors/webhook.messages.js';
import { isStreamUntouched, readBodyStream, tooLarge } from './read-body-stream.js';
import { requestUrl } from './request-url.js';
import type { WebhookHttpAdapter, WebhookRequestInfo } from './webhook-http.adapter.js';

/** The parts of an Express request this adapter reads. */
interface ExpressRequest extends IncomingMessage {
  params?: Record<string, string | undefined>;
  /** The URL as received, before routers strip their mount paths. */
  originalUrl?: string;
  /** Set by Nest when the app is created with `{ rawBody: true }`, for bodies its parsers read. */
  rawBody?: Buffer;
}

/** Express: Nest's JSON and urlencoded parsers keep `req.rawBody`; other bodies are read from the stream. */
export class ExpressWebhookAdapter implements WebhookHttpAdapter {
  readonly platform = 'express';

  describe(request: unknown): WebhookRequestInfo {
    const req = request as ExpressRequest;
    return {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: req.headers,
      param: (name) => req.params?.[name],
      url: () => requestUrl(req.headers, req.socket, req.originalUrl ?? req.url ?? '/'),
    };
  }

  async readBody(request: unknown, maxBytes: number): Promise<Buffer> {
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

  prepareAnswer(response: unknown, status: number, contentType: string | undefined): void {
    const res = response as ServerResponse;
    res.statusCode = status;
    if (contentType !== undefined) res.setHeader('content-type', contentType);
  }
}
