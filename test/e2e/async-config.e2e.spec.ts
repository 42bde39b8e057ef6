import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { App } from 'supertest/types.js';
import {
  WebhookSigner,
  WebhooksModule,
  type WebhooksModuleOptions,
  type WebhooksOptionsFactory,
} from '../../lib/index.js';
import { guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

const GUURU_SECRET_FROM_CONFIG = 'guuru-secret-from-config-Kd71';

@Injectable()
class WebhooksConfig implements WebhooksOptionsFactory {
  createWebhooksOptions(): WebhooksModuleOptions {
    const options = testWebhooksOptions();
    return { ...options, sources: { ...options.sources, guuru: { secret: GUURU_SECRET_FROM_CONFIG } } };
  }
}

@Module({ providers: [WebhooksConfig], exports: [WebhooksConfig] })
class WebhooksConfigModule {}

const variants = [
  [
    'forRoot',
    () =>
      WebhooksModule.forRoot({
        ...testWebhooksOptions(),
        sources: { ...testWebhooksOptions().sources, guuru: { secret: GUURU_SECRET_FROM_CONFIG } },
      }),
  ],
  [
    'forRootAsync with ConfigService',
    () =>
      WebhooksModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ GUURU_SECRET: GUURU_SECRET_FROM_CONFIG })] }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => {
          const options = testWebhooksOptions();
          return {
            ...options,
            sources: { ...options.sources, guuru: { secret: config.getOrThrow<string>('GUURU_SECRET') } },
          };
        },
      }),
  ],
  ['forRootAsync with useClass', () => WebhooksModule.forRootAsync({ useClass: WebhooksConfig })],
  [
    'forRootAsync with useExisting',
    () => WebhooksModule.forRootAsync({ imports: [WebhooksConfigModule], useExisting: WebhooksConfig }),
  ],
  [
    'forRootAsync with a custom path',
    () =>
      WebhooksModule.forRootAsync({
        path: 'hooks/in',
        useFactory: () => Promise.resolve(new WebhooksConfig().createWebhooksOptions()),
      }),
  ],
] as const;

describe.each(PLATFORMS)('on %s', (platform) => {
  describe.each(variants)('%s', (name, createModule) => {
    let testApp: TestApp;

    afterEach(async () => {
      await testApp.app.close();
    });

    it('verifies with the configured secret and dispatches to the handler', async () => {
      testApp = await startTestApp(createModule(), { platform });
      const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
      const path = name.includes('custom path') ? '/hooks/in/guuru' : '/webhooks/guuru';
      const server = testApp.app.getHttpServer() as App;
      await deliver(server, path, signed).expect(200);
      expect(testApp.calls.of('guuru')).toHaveLength(1);
      const wrong = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody, { secret: 'another-secret' });
      await deliver(server, path, wrong).expect(401);
      expect(testApp.calls.of('guuru')).toHaveLength(1);
    });
  });
});
