import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createWebhookHttpAdapter, type WebhookHttpAdapter } from '../http/index.js';

/**
 * The HTTP adapter for the platform the app runs on, chosen on first use: an
 * application context without HTTP (a worker, a script using `WebhookSigner`) never needs one.
 */
@Injectable()
export class WebhookHttpAdapterHost {
  private adapter?: WebhookHttpAdapter;

  constructor(private readonly httpAdapterHost: HttpAdapterHost) {}

  get(): WebhookHttpAdapter {
    this.adapter ??= createWebhookHttpAdapter(this.httpAdapterHost.httpAdapter?.getType() ?? 'unknown');
    return this.adapter;
  }
}
