import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStreamUntouched, readBodyStream, tooLarge } from './read-body-stream.js';
import { WebhookBodyError } from './webhook-body.error.js';
import type { WebhookHttpAdapter, WebhookRequestInfo } from './webhook-http.adapter.js';

/** The parts of an Express request this adapter reads. */
interface ExpressRequest extends IncomingMessage {
  params?: Record<string, string | undefined>;
  /** Set by Nest when the app is created with `{ rawBody: true }`, for bodies its parsers read. */
  rawBody?: Buffer;
  res?: ServerResponse;
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
    };
  }

  async readBody(request: unknown, maxBytes: number): Promise<Buffer> {
    const req = request as ExpressRequest;
    if (Buffer.isBuffer(req.rawBody)) {
      if (req.rawBody.length > maxBytes) throw tooLarge(maxBytes);
      return req.rawBody;
    }
    if (!isStreamUntouched(req)) {
      throw new WebhookBodyError(
        'raw_body_unavailable',
        `A body parser consumed the ${req.headers['content-type'] ?? 'request'} body before it could be verified. ` +
          'Create the app with NestFactory.create(AppModule, { rawBody: true }) so the exact bytes are kept (rawBody).',
      );
    }
    try {
      return await readBodyStream(req, maxBytes);
    } catch (error) {
      // The rest of an oversized body is never read: close the connection after answering.
      if (error instanceof WebhookBodyError && error.reason === 'body_too_large')
        req.res?.setHeader('connection', 'close');
      throw error;
    }
  }
}
