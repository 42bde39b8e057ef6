import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { guuruChatBody } from '../../sample/payloads.js';
import { deliver } from './fixtures/deliver.js';
import { PLATFORMS, startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/** The usual NestJS pattern: a global guard that lets through only routes marked `@Public()`. */
const IS_PUBLIC_KEY = 'isPublic';
const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

@Injectable()
class RejectUnmarkedGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    throw new UnauthorizedException('log in first');
  }
}

@Controller()
class AppRoutesController {
  @Get('account')
  account(): string {
    return 'private';
  }

  @Public()
  @Get('health')
  health(): string {
    return 'ok';
  }
}

/** The application's module: its global guard and its routes, with the webhooks module given `routeMetadata` or not. */
function appWithGlobalGuard(routeMetadata?: Record<string, unknown>, async = false): DynamicModule {
  @Module({})
  class GuardedAppModule {}
  const webhooks = async
    ? WebhooksModule.forRootAsync({ useFactory: () => testWebhooksOptions(), routeMetadata })
    : WebhooksModule.forRoot({ ...testWebhooksOptions(), routeMetadata });
  return {
    module: GuardedAppModule,
    imports: [webhooks],
    controllers: [AppRoutesController],
    providers: [{ provide: APP_GUARD, useClass: RejectUnmarkedGuard }],
  };
}

describe.each(PLATFORMS)('a global authentication guard on %s', (platform) => {
  describe('with routeMetadata: { isPublic: true }', () => {
    let testApp: TestApp;
    let server: App;

    beforeAll(async () => {
      testApp = await startTestApp(appWithGlobalGuard({ [IS_PUBLIC_KEY]: true }), { platform });
      server = testApp.app.getHttpServer() as App;
    });

    afterAll(async () => {
      await testApp.app.close();
    });

    it('lets signed deliveries through to the handlers', async () => {
      const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
      await deliver(server, '/webhooks/guuru', signed).expect(200);
      expect(testApp.calls.of('guuru')).toHaveLength(1);
    });

    it('still leaves the signature check to the webhook guard: a forged delivery gets 401 from it', async () => {
      const forged = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody, { secret: 'not-the-secret' });
      const response = await deliver(server, '/webhooks/guuru', forged).expect(401);
      expect(response.body.reason).toBe('invalid_signature');
    });

    it("keeps the app's other routes protected", async () => {
      await request(server).get('/account').expect(401);
      await request(server).get('/health').expect(200);
    });
  });

  it('takes routeMetadata beside useFactory in forRootAsync', async () => {
    const testApp = await startTestApp(appWithGlobalGuard({ [IS_PUBLIC_KEY]: true }, true), { platform });
    try {
      const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
      await deliver(testApp.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
    } finally {
      await testApp.app.close();
    }
  });

  describe('without routeMetadata', () => {
    it('refuses the sender, which is why the option exists', async () => {
      const testApp = await startTestApp(appWithGlobalGuard(), { platform });
      try {
        const signed = testApp.app.get(WebhookSigner).sign('guuru', guuruChatBody);
        const response = await deliver(testApp.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(401);
        expect(response.body.message).toBe('log in first');
        expect(testApp.calls.calls).toHaveLength(0);
      } finally {
        await testApp.app.close();
      }
    });
  });
});
