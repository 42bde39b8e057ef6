import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { createWebhookHttpAdapter, isSupportedPlatform, type WebhookHttpAdapter } from '../http/index.js';
import { WEBHOOKS_ROUTE_PATH, webhookRoutePath } from './webhooks.constants.js';

/**
 * The HTTP adapter for the platform the app runs on, chosen on first use: an application
 * context without HTTP (a worker, a script using `WebhookSigner`) never needs one.
 */
@Injectable()
export class WebhookHttpAdapterHost implements OnModuleInit {
  private adapter?: WebhookHttpAdapter;

  constructor(
    private readonly httpAdapterHost: HttpAdapterHost,
    private readonly appConfig: ApplicationConfig,
    @Inject(WEBHOOKS_ROUTE_PATH) private readonly routePath: string,
  ) {}

  /**
   * Lets the platform prepare before it serves (runs after Nest registered every route):
   * Fastify gets content-type parsers; on Express the module's catch-all routes
   * (`/<path>/:source`) move behind every other route, so the application's own routes
   * and the dashboard's under the same path win, whatever the order modules were imported in.
   */
  onModuleInit(): void {
    const http = this.httpAdapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    // An unsupported platform is still reported on first use, so an app that only signs keeps starting.
    if (!http || !isSupportedPlatform(http.getType())) return;
    const prefix = this.appConfig.getGlobalPrefix();
    this.get().prepare?.(http.getInstance(), {
      catchAllRoutes: [
        webhookRoutePath(prefix, this.routePath, ':source'),
        webhookRoutePath(prefix, this.routePath, ':source', ':tenant'),
      ],
    });
  }

  get(): WebhookHttpAdapter {
    this.adapter ??= createWebhookHttpAdapter(this.httpAdapterHost.httpAdapter?.getType() ?? 'unknown');
    return this.adapter;
  }
}
