import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  hmacProvider,
  WebhookEvents,
  WebhooksModule,
  type WebhookOutcomeEvent,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { HandlerCalls } from './fixtures/handler-calls.js';
import { CapturingLogger, testWebhooksOptions, type Platform } from './fixtures/test-app.js';
import { TestHandlers } from './fixtures/test-handlers.js';

interface SelfCheckedApp {
  readonly app: INestApplication;
  readonly logs: CapturingLogger;
  readonly events: WebhookOutcomeEvent[];
  readonly listening: Promise<unknown>;
}

/** Boots the test app the way main.ts does, with `configure` run before `listen()`. */
async function bootApp(
  options: {
    rawBody: boolean;
    selfCheck?: WebhooksModuleOptions['selfCheck'];
    platform?: Platform;
    bodyLimit?: number;
    extraSources?: WebhooksModuleOptions['sources'];
  },
  configure: (app: NestExpressApplication) => void = () => undefined,
): Promise<SelfCheckedApp> {
  @Module({
    imports: [
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        sources: { ...testWebhooksOptions().sources, ...options.extraSources },
        selfCheck: options.selfCheck,
      }),
    ],
    providers: [HandlerCalls, TestHandlers],
  })
  class SelfCheckedModule {}
  const logs = new CapturingLogger();
  const appOptions = { rawBody: options.rawBody, logger: logs };
  const app =
    options.platform === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(
          SelfCheckedModule,
          new FastifyAdapter({ bodyLimit: options.bodyLimit }),
          appOptions,
        )
      : await NestFactory.create<NestExpressApplication>(SelfCheckedModule, appOptions);
  const events: WebhookOutcomeEvent[] = [];
  app.get(WebhookEvents).events$.subscribe((event) => events.push(event));
  if (options.platform !== 'fastify') configure(app as NestExpressApplication);
  const listening = app.listen(0, '127.0.0.1');
  // Observed here so a rejection is never unhandled; each test awaits it.
  listening.catch(() => undefined);
  return { app, logs, events, listening };
}

/** A middleware of the kind that breaks signatures: it rebuilds the raw body from the parsed one. */
function reserialiseJson(req: Request & { rawBody?: Buffer }, _res: Response, next: NextFunction): void {
  if (req.is('application/json')) req.rawBody = Buffer.from(JSON.stringify(req.body));
  next();
}

function selfCheckWarnings(logs: CapturingLogger): string[] {
  return logs.find('warn', 'Webhook self-check failed');
}

// The Express cases use express.json() middlewares, the Fastify ones Fastify's bodyLimit and hooks: the same
// mistakes, as each platform makes them.
describe('the start-up self-check of raw-body capture', () => {
  let running: SelfCheckedApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('passes quietly for a correct app, and its deliveries reach no handler and no event', async () => {
    running = await bootApp({ rawBody: true });
    await running.listening;
    expect(selfCheckWarnings(running.logs)).toEqual([]);
    expect(running.logs.lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([]);
    expect(running.logs.find('log', 'Webhook self-check passed')).toEqual([
      expect.stringContaining('application/json, application/x-www-form-urlencoded, multipart/form-data.'),
    ]);
    expect(running.app.get(HandlerCalls).calls).toHaveLength(0);
    expect(running.events).toEqual([]);
  });

  it('also checks text bodies when a configured sender sends them', async () => {
    const textSender = hmacProvider({
      name: 'plain',
      signatureHeader: 'x-signature',
      algorithm: 'sha256',
      encoding: 'hex',
      contentType: 'text/plain; charset=utf-8',
    });
    running = await bootApp({
      rawBody: true,
      extraSources: { plain: { provider: textSender, secret: 'plain-secret' } },
    });
    await running.listening;
    expect(running.logs.find('log', 'Webhook self-check passed')).toEqual([expect.stringContaining('text/plain')]);
  });

  it('warns, naming rawBody, when the app was created without rawBody: true', async () => {
    running = await bootApp({ rawBody: false });
    await running.listening;
    const [warning, ...others] = selfCheckWarnings(running.logs);
    expect(others).toHaveLength(0);
    expect(warning).toContain('application/json: the body was parsed before the webhook route');
    expect(warning).toContain('rawBody: true');
    // The module's own rejection line is not written for the self-check: one message, not two.
    expect(running.logs.find('error', 'reason=raw_body_unavailable')).toHaveLength(0);
    expect(running.events).toEqual([]);
  });

  it("fails app.listen() with selfCheck: 'fail'", async () => {
    running = await bootApp({ rawBody: false, selfCheck: 'fail' });
    await expect(running.listening).rejects.toThrow(/application\/json: .*rawBody/);
    expect(running.logs.find('error', 'Webhook self-check failed')).toHaveLength(1);
  });

  it('names a body parser whose size limit is below the delivery, run before the route', async () => {
    running = await bootApp({ rawBody: true }, (app) => app.use(express.json({ limit: '1kb' })));
    await running.listening;
    const [warning, ...others] = selfCheckWarnings(running.logs);
    expect(others).toHaveLength(0);
    expect(warning).toContain('application/json: a body parser with a size limit below 4096 bytes');
    expect(warning).toContain('413');
    expect(warning).not.toContain('application/x-www-form-urlencoded');
  });

  it('names a middleware that replaces the raw body with re-serialised JSON', async () => {
    running = await bootApp({ rawBody: true }, (app) => {
      app.use(express.json());
      app.use(reserialiseJson);
    });
    await running.listening;
    const [warning, ...others] = selfCheckWarnings(running.logs);
    expect(others).toHaveLength(0);
    expect(warning).toContain('application/json: the verifier saw the same JSON written differently');
    expect(warning).toContain('re-serialised');
    expect(warning).not.toContain('rawBody: true');
  });

  it('logs a request to the reserved self-check source like any unknown source, outside a check', async () => {
    running = await bootApp({ rawBody: true });
    const server = (await running.listening) as Server;
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/_self-check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhooks-self-check': 'guess.json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(running.logs.find('warn', 'source=_self-check reason=unknown_source')).toHaveLength(1);
  });

  it("runs no check with selfCheck: 'off'", async () => {
    running = await bootApp({ rawBody: false, selfCheck: 'off' });
    await running.listening;
    expect(running.logs.find('warn', 'self-check')).toEqual([]);
    expect(running.logs.find('log', 'self-check')).toEqual([]);
  });

  describe('on Fastify', () => {
    it('passes quietly for a correct app, multipart included', async () => {
      running = await bootApp({ rawBody: true, platform: 'fastify' });
      await running.listening;
      expect(running.logs.lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([]);
      expect(running.logs.find('log', 'Webhook self-check passed')).toHaveLength(1);
      expect(running.app.get(HandlerCalls).calls).toHaveLength(0);
    });

    it('warns, naming rawBody, when the app was created without rawBody: true', async () => {
      running = await bootApp({ rawBody: false, platform: 'fastify' });
      await running.listening;
      const [warning, ...others] = selfCheckWarnings(running.logs);
      expect(others).toHaveLength(0);
      expect(warning).toContain('application/json: the body was parsed before the webhook route');
      expect(warning).toContain('new FastifyAdapter(), { rawBody: true }');
    });

    it("names Fastify's bodyLimit when it is below the delivery, and fails listen() in 'fail' mode", async () => {
      running = await bootApp({ rawBody: true, platform: 'fastify', bodyLimit: 1024, selfCheck: 'fail' });
      await expect(running.listening).rejects.toThrow(/a body parser with a size limit below 4096 bytes/);
      expect(running.logs.find('error', "Fastify's bodyLimit")).toHaveLength(1);
    });

    it('names a hook that replaces the raw body with re-serialised JSON', async () => {
      running = await bootFastifyWithReserialisingHook();
      await running.listening;
      const [warning] = selfCheckWarnings(running.logs);
      expect(warning).toContain('application/json: the verifier saw the same JSON written differently');
    });
  });
});

/** A Fastify app whose preValidation hook rebuilds `rawBody` from the parsed JSON: the Fastify form of the bug. */
async function bootFastifyWithReserialisingHook(): Promise<SelfCheckedApp> {
  @Module({ imports: [WebhooksModule.forRoot(testWebhooksOptions())], providers: [HandlerCalls, TestHandlers] })
  class HookedModule {}
  const logs = new CapturingLogger();
  const app = await NestFactory.create<NestFastifyApplication>(HookedModule, new FastifyAdapter(), {
    rawBody: true,
    logger: logs,
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook(
      'preValidation',
      (
        request: { body: unknown; rawBody?: Buffer; headers: Record<string, unknown> },
        _reply: unknown,
        done: () => void,
      ) => {
        if (String(request.headers['content-type']).startsWith('application/json')) {
          request.rawBody = Buffer.from(JSON.stringify(request.body));
        }
        done();
      },
    );
  const listening = app.listen(0, '127.0.0.1');
  listening.catch(() => undefined);
  return { app, logs, events: [], listening };
}
