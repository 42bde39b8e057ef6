import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { WebhookEvents, type WebhookOutcomeEvent } from '../module/webhook-events.js';
import { WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from '../module/webhooks.constants.js';
import type { WebhooksModuleOptions } from '../module/webhooks.options.js';
import { toDashboardUpdate } from './dashboard-record.js';
import { dashboardMessages } from './dashboard.messages.js';
import { WEBHOOKS_DASHBOARD_SETTINGS, type DashboardSettings } from './dashboard.settings.js';
import type { DashboardStore } from './dashboard.store.js';
import { MemoryDashboardStore } from './memory-dashboard.store.js';
import { RedisDashboardStore } from './redis-dashboard.store.js';

/**
 * Records every delivery outcome for the dashboard, from `WebhookEvents`: one cheap
 * append per event on the delivery's path. Exists only when the dashboard is configured.
 * Kept in memory, or in Redis when the delivery store is Redis (all instances then share it).
 */
@Injectable()
export class DashboardRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);
  private subscription?: Subscription;
  private storeInstance?: DashboardStore;

  constructor(
    @Inject(WEBHOOKS_MODULE_OPTIONS) private readonly options: WebhooksModuleOptions,
    @Inject(WEBHOOKS_DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
    private readonly events: WebhookEvents,
  ) {}

  /** The store pages read from. */
  get store(): DashboardStore {
    if (!this.storeInstance) throw new Error('The webhooks dashboard is read before the module has started.');
    return this.storeInstance;
  }

  async onModuleInit(): Promise<void> {
    const deliveries = this.options.deliveries;
    this.storeInstance =
      deliveries?.store === 'redis' && deliveries.connection
        ? await RedisDashboardStore.connect(deliveries.connection, {
            maxEntries: this.settings.maxEntries,
            onError: (error) => this.logger.error(dashboardMessages.storeFailing(error)),
          })
        : new MemoryDashboardStore(this.settings.maxEntries);
    const store = this.storeInstance;
    this.subscription = this.events.events$.subscribe((event) => {
      if (isDashboardEvent(event)) store.append(toDashboardUpdate(event, this.settings.showBodies));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.storeInstance?.close?.();
  }
}

/** Requests to the module's own reserved names (a mistyped dashboard URL that fell through to the webhook route) are not deliveries. */
function isDashboardEvent(event: WebhookOutcomeEvent): boolean {
  return !event.source.startsWith('_');
}
