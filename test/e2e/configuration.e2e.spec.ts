import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  WebhookConfigurationError,
  WebhookHandler,
  WebhookSigner,
  WebhooksModule,
  type WebhooksModuleOptions,
} from '../../lib/index.js';
import { createTestApplication, PLATFORMS, type Platform } from './fixtures/test-app.js';

@Injectable()
class StrayHandlers {
  @WebhookHandler('stripe')
  onStripe(): void {}
}

async function boot(
  options: WebhooksModuleOptions,
  providers: (new (...args: never[]) => object)[] = [],
  platform: Platform = 'express',
) {
  @Module({ imports: [WebhooksModule.forRoot(options)], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = createTestApplication(moduleRef, platform, { logger: false });
  try {
    await app.init();
  } finally {
    await app.close();
  }
}

async function failureOf(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected start-up to fail');
}

describe('start-up checks', () => {
  it('fails loudly when a handler names a source that is not configured', async () => {
    const error = await failureOf(() => boot({ sources: { guuru: { secret: 's' } } }, [StrayHandlers]));
    expect(error).toBeInstanceOf(WebhookConfigurationError);
    expect(error.message).toContain("@WebhookHandler('stripe') on StrayHandlers.onStripe");
    expect(error.message).toContain('configured: guuru');
  });

  it('fails when a source has no secret (e.g. an unset environment variable)', async () => {
    const error = await failureOf(() => boot({ sources: { usersnap: { secret: process.env.NOT_SET_ANYWHERE } } }));
    expect(error).toBeInstanceOf(WebhookConfigurationError);
    expect(error.message).toMatch(/Webhook source "usersnap": .*needs a secret/);
  });

  it('fails when a source is neither a built-in name nor given a provider', async () => {
    const error = await failureOf(() => boot({ sources: { stripe: { secret: 's' } } }));
    expect(error.message).toContain('Webhook source "stripe" is not a built-in provider');
  });

  it('fails for an unknown provider name', async () => {
    const error = await failureOf(() => boot({ sources: { pay: { provider: 'no-such-sender', secret: 's' } } }));
    expect(error.message).toContain('Unknown webhook provider no-such-sender');
    expect(error.message).toMatch(/Known providers: .*guuru.*standard-webhooks/);
  });

  it('refuses source names that start with an underscore (reserved)', async () => {
    const error = await failureOf(() => boot({ sources: { _dashboard: { provider: 'guuru', secret: 's' } } }));
    expect(error.message).toContain('must not start with "_"');
  });

  it('refuses a malformed Standard Webhooks secret without echoing it', async () => {
    const error = await failureOf(() =>
      boot({ sources: { billing: { provider: 'standard-webhooks', secret: 'whsec_!!not-base64!!' } } }),
    );
    expect(error.message).toContain('only as base64');
    expect(error.message).not.toContain('not-base64');
  });

  it('warns once when Survicate is verified by its token alone', async () => {
    const lines: string[] = [];
    @Module({ imports: [WebhooksModule.forRoot({ sources: { survicate: { token: 't' } } })] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({
      logger: { log() {}, error() {}, warn: (message: string) => lines.push(message) },
    });
    await app.init();
    await app.close();
    expect(lines.filter((line) => line.includes('plain-text Token header only'))).toHaveLength(1);
  });

  it.each(PLATFORMS)('starts with a correct configuration on %s', async (platform) => {
    await expect(boot({ sources: { guuru: { secret: 's' } } }, [], platform)).resolves.toBeUndefined();
  });

  it.each(PLATFORMS)('fails on %s as on Express when a handler names an unconfigured source', async (platform) => {
    const error = await failureOf(() => boot({ sources: { guuru: { secret: 's' } } }, [StrayHandlers], platform));
    expect(error).toBeInstanceOf(WebhookConfigurationError);
  });

  it('starts as an application context without HTTP, e.g. a worker that only signs', async () => {
    @Module({ imports: [WebhooksModule.forRoot({ sources: { guuru: { secret: 's' } } })] })
    class WorkerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule] }).compile();
    const context = await moduleRef.init();
    try {
      expect(context.get(WebhookSigner).sign('guuru', { question: 'q' }).headers).toHaveProperty('x-guuru-hmac-sha256');
    } finally {
      await context.close();
    }
  });
});
