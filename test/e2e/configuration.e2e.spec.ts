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
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { createTestApplication, PLATFORMS, type Platform } from './fixtures/test-app.js';

@Injectable()
class StrayHandlers {
  @WebhookHandler('stripe')
  onStripe(): void {}
}

/**
 * A handler class as tsx, esbuild or Vitest without SWC build it: TypeScript's own transpiler
 * with `emitDecoratorMetadata` off, so the method has no `design:paramtypes`.
 */
async function handlersBuiltWithoutMetadata(): Promise<new (...args: never[]) => object> {
  // Inside the project, so its own imports resolve from its node_modules.
  const cache = new URL('../../node_modules/.cache/', import.meta.url).pathname;
  mkdirSync(cache, { recursive: true });
  const directory = mkdtempSync(join(cache, 'bare-build-'));
  const library = relative(directory, new URL('../../lib/index.js', import.meta.url).pathname);
  const source = `
    import { Injectable } from '@nestjs/common';
    import { GuuruChatDto, WebhookHandler } from ${JSON.stringify(library)};
    @Injectable()
    export class BareBuildHandlers {
      @WebhookHandler('guuru')
      onChat(chat: GuuruChatDto): void {
        void chat;
      }
    }`;
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: false,
      useDefineForClassFields: false,
    },
  });
  const file = join(directory, 'handlers.mjs');
  writeFileSync(file, outputText);
  const module = (await import(file)) as { BareBuildHandlers: new (...args: never[]) => object };
  return module.BareBuildHandlers;
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
  it('warns, naming the handler and the fix, when a build recorded no DTO type; strictDtos refuses to start', async () => {
    const BareBuildHandlers = await handlersBuiltWithoutMetadata();
    expect(Reflect.getMetadata('design:paramtypes', BareBuildHandlers.prototype, 'onChat')).toBeUndefined();
    const warnings: string[] = [];
    @Module({
      imports: [WebhooksModule.forRoot({ sources: { guuru: { secret: 's' } } })],
      providers: [BareBuildHandlers],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({
      logger: { log() {}, error() {}, warn: (message: string) => warnings.push(message) },
    });
    await app.init();
    await app.close();
    const warning = warnings.find((line) => line.includes('BareBuildHandlers.onChat'));
    expect(warning).toContain('emitDecoratorMetadata');
    expect(warning).toContain('dto:');
    const error = await failureOf(() =>
      boot({ sources: { guuru: { secret: 's' } }, strictDtos: true }, [BareBuildHandlers]),
    );
    expect(error).toBeInstanceOf(WebhookConfigurationError);
    expect(error.message).toContain('BareBuildHandlers.onChat');
  });

  it('starts quietly with strictDtos when every DTO is known, also from the dto option', async () => {
    @Injectable()
    class DeclaredHandlers {
      @WebhookHandler('guuru', { dto: Object })
      onChat(): void {}
    }
    await expect(
      boot({ sources: { guuru: { secret: 's' } }, strictDtos: true }, [DeclaredHandlers]),
    ).resolves.toBeUndefined();
  });

  it('warns at start-up when a Standard Webhooks secret has no prefix and is 32 bytes (the size of a public key)', async () => {
    const warnings: string[] = [];
    const bare = Buffer.alloc(32, 7).toString('base64');
    @Module({
      imports: [WebhooksModule.forRoot({ sources: { billing: { provider: 'standard-webhooks', secret: bare } } })],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({
      logger: { log() {}, error() {}, warn: (message: string) => warnings.push(message) },
    });
    await app.init();
    await app.close();
    const warning = warnings.find((line) => line.includes('Webhook source "billing"'));
    expect(warning).toContain('whpk_');
    expect(warning).not.toContain(bare);
  });

  it('type-checks a sources object declared as a constant without `as const` (provider: string)', async () => {
    const sources = { payments: { provider: 'stripe', secret: 'whsec_x' } };
    const options: WebhooksModuleOptions = { sources };
    await expect(boot(options)).resolves.toBeUndefined();
  });

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
    const error = await failureOf(() => boot({ sources: { 'acme-payments': { secret: 's' } } }));
    expect(error.message).toContain('Webhook source "acme-payments" is not a built-in provider');
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
