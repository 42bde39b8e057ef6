import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebhookBodyError } from '../core/errors/index.js';
import { rawBodyConsumed } from '../core/errors/webhook.messages.js';
import { isStreamUntouched, readBodyStream, tooLarge } from './read-body-stream.js';
import { requestUrl } from './request-url.js';
import type { WebhookHttpAdapter, WebhookRequestInfo, WebhookRoutes } from './webhook-http.adapter.js';

// Structural types of the parts of Fastify this adapter uses: `@nestjs/platform-fastify`
// and `fastify` stay optional for apps on Express.

/** The parts of a Fastify request this adapter reads. */
interface FastifyRequestLike {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly params?: unknown;
  /** The Node request, whose stream is still unread when no content-type parser consumed it. */
  readonly raw: IncomingMessage;
  /** Set by Nest's parsers when the app is created with `{ rawBody: true }`, and by the text parser added here. */
  rawBody?: Buffer;
}

interface FastifyReplyLike {
  header(name: string, value: string): unknown;
  code(status: number): unknown;
}

type ParserDone = (error: Error | null, body?: unknown) => void;

/** The parts of a Fastify instance `prepare()` uses. */
interface FastifyInstanceLike {
  hasContentTypeParser(contentType: string): boolean;
  addContentTypeParser(
    contentType: string,
    parser: (request: FastifyRequestLike, payload: IncomingMessage, done: ParserDone) => void,
  ): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer' },
    parser: (request: FastifyRequestLike, body: Buffer, done: ParserDone) => void,
  ): unknown;
  register(plugin: (instance: FastifyInstanceLike, options: unknown, done: () => void) => void): unknown;
}

/**
 * Fastify: Nest's JSON and urlencoded parsers keep `req.rawBody`; multipart reaches
 * the guard unread, and text through a parser that keeps its bytes (see `prepare()`).
 */
export class FastifyWebhookAdapter implements WebhookHttpAdapter {
  readonly platform = 'fastify';

  describe(request: unknown): WebhookRequestInfo {
    const req = request as FastifyRequestLike;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    return {
      method: req.method.toUpperCase(),
      headers: req.headers,
      param: (name) => (Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined),
      url: () => requestUrl(req.headers, req.raw.socket, req.raw.url ?? '/'),
    };
  }

  async readBody(request: unknown, maxBytes: number): Promise<Buffer> {
    const req = request as FastifyRequestLike;
    if (Buffer.isBuffer(req.rawBody)) {
      if (req.rawBody.length > maxBytes) throw tooLarge(maxBytes);
      return req.rawBody;
    }
    if (!isStreamUntouched(req.raw)) {
      throw new WebhookBodyError('raw_body_unavailable', rawBodyConsumed(req.headers['content-type'], 'fastify'));
    }
    return readBodyStream(req.raw, maxBytes);
  }

  prepareAnswer(response: unknown, status: number, contentType: string | undefined): void {
    const reply = response as FastifyReplyLike;
    reply.code(status);
    if (contentType !== undefined) reply.header('content-type', contentType);
  }

  /**
   * Runs once at start-up, before Fastify is ready. Registered as a plugin that shares
   * the root context, so it runs after the plugins registered before it (e.g.
   * `@fastify/multipart`) and sees their parsers.
   */
  prepare(platformInstance: unknown, _routes: WebhookRoutes): void {
    const root = platformInstance as FastifyInstanceLike;
    const plugin = (instance: FastifyInstanceLike, _options: unknown, done: () => void): void => {
      registerParsers(instance);
      done();
    };
    // What `fastify-plugin` does, without depending on it: no child context.
    Object.assign(plugin, {
      [Symbol.for('skip-override')]: true,
      [Symbol.for('fastify.display-name')]: 'nestjs-signed-webhooks',
    });
    root.register(plugin);
  }
}

function registerParsers(instance: FastifyInstanceLike): void {
  // Without a parser Fastify answers 415 before the guard runs. This one reads nothing,
  // as @fastify/multipart's own does, so the guard reads the stream with its limit.
  if (!instance.hasContentTypeParser('multipart/form-data')) {
    instance.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  }
  // Fastify's default text parser drops the bytes; this one yields the same string and keeps them.
  // Fastify refuses to replace a text/plain parser the app registered itself, which is then kept.
  try {
    instance.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (request, body, done) => {
      request.rawBody = body;
      done(null, body.toString('utf8'));
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'FST_ERR_CTP_ALREADY_PRESENT') throw error;
  }
}
