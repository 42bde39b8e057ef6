import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createWebhookHttpAdapter, isSupportedPlatform, type WebhookHttpAdapter } from '../http/index.js';

/**
 * The HTTP adapter for the platform the app runs on, chosen on first use: an
 * application context without HTTP (a worker, a script using `WebhookSigner`) never needs one.
 */
@Injectable()
export class WebhookHttpAdapterHost implements OnModuleInit {
  private adapter?: WebhookHttpAdapter;

  constructor(private readonly httpAdapterHost: HttpAdapterHost) {}

  /** Lets the platform prepare before it starts serving (Fastify: content-type parsers). */
  onModuleInit(): void {
    const http = this.httpAdapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    // An unsupported platform is still reported on first use, so an app that only signs keeps starting.
    if (!http || !isSupportedPlatform(http.getType())) return;
    this.get().prepare?.(http.getInstance());
  }

  get(): WebhookHttpAdapter {
    this.adapter ??= createWebhookHttpAdapter(this.httpAdapterHost.httpAdapter?.getType() ?? 'unknown');
    return this.adapter;
  }
}
