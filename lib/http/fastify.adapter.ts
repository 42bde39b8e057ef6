import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebhookBodyError } from '../core/errors/index.js';
import { rawBodyConsumed } from '../core/errors/webhook.messages.js';
import { isStreamUntouched, readBodyStream, tooLarge } from './read-body-stream.js';
import { platformJson } from './platform-json.js';
import { requestUrl } from './request-url.js';
import type { WebhookHeaders } from '../core/headers.js';
import type { WebhookHttpAdapter } from './webhook-http.adapter.js';

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
  /** What the platform's parser made of the body. */
  body?: unknown;
}

interface FastifyReplyLike {
  header(name: string, value: string): unknown;
  code(status: number): unknown;
  send(payload?: string): unknown;
}

/** What Fastify sends a serialized object with. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

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
  /** The Node server Fastify created. */
  readonly server?: Server;
}

/**
 * Fastify: Nest's JSON and urlencoded parsers keep `req.rawBody`; multipart reaches
 * the guard unread, and text through a parser that keeps its bytes (see `prepare()`).
 */
export class FastifyWebhookAdapter implements WebhookHttpAdapter {
  readonly platform = 'fastify';

  method(request: unknown): string {
    return (request as FastifyRequestLike).method;
  }

  headers(request: unknown): WebhookHeaders {
    return (request as FastifyRequestLike).headers;
  }

  param(request: unknown, name: string): string | undefined {
    const params = (request as FastifyRequestLike).params as Record<string, string | undefined> | undefined;
    return params && Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
  }

  url(request: unknown): string {
    const req = request as FastifyRequestLike;
    return requestUrl(req.headers, req.raw.socket, req.raw.url ?? '/');
  }

  parsedJson(request: unknown): unknown {
    const req = request as FastifyRequestLike;
    return platformJson(req.body, req.rawBody, req.headers['content-type']);
  }

  readBody(request: unknown, maxBytes: number): Buffer | Promise<Buffer> {
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

  send(response: unknown, status: number, contentType: string | undefined, body: string | undefined): void {
    this.prepareAnswer(response, status, contentType);
    (response as FastifyReplyLike).send(body);
  }

  sendJson(response: unknown, status: number, json: string): void {
    // A string with its content type set is sent as it is: Fastify serializes nothing.
    this.send(response, status, JSON_CONTENT_TYPE, json);
  }

  /**
   * Runs once at start-up, before Fastify is ready. Registered as a plugin that shares
   * the root context, so it runs after the plugins registered before it (e.g.
   * `@fastify/multipart`) and sees their parsers.
   */
  prepare(platformInstance: unknown): void {
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
    answerHeaderOverflowWithClose(root.server);
  }
}

/**
 * Headers over Node's `maxHeaderSize` (16 KiB) never reach a route: Node emits `clientError`,
 * and Fastify's default handler writes a 431 without `Connection: close`, then destroys the
 * socket. A keep-alive client takes that answer as reusable and sends its next request on a
 * dead socket (ECONNRESET, or a client that waits forever). Node's own handler says
 * `Connection: close`; this does the same for the 431, with Fastify's body, and only while
 * Fastify's default handler is the one installed (an app's own `clientErrorHandler` is left
 * alone). Fastify's handler then finds the socket destroyed and does nothing.
 */
function answerHeaderOverflowWithClose(server: Server | undefined): void {
  const listeners = server?.listeners('clientError') ?? [];
  if (!server || listeners.length !== 1 || listeners[0]!.name !== 'bound defaultClientErrorHandler') return;
  server.prependListener('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (error.code !== 'HPE_HEADER_OVERFLOW' || socket.destroyed) return;
    const body = `{"error":"${STATUS_CODES[431]}","message":"Exceeded maximum allowed HTTP header size","statusCode":431}`;
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 431 ${STATUS_CODES[431]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  });
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
