import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { WebhookEvents, type WebhookOutcomeFacts } from '../module/webhook-events.js';
import { WEBHOOKS_LOGGER_CONTEXT, WEBHOOKS_MODULE_OPTIONS } from '../module/webhooks.constants.js';
import type { WebhooksModuleOptions } from '../module/webhooks.options.js';
import { dashboardMessages } from './dashboard.messages.js';
import { WEBHOOKS_DASHBOARD_SETTINGS, type DashboardSettings } from './dashboard.settings.js';
import type { DashboardStore } from './dashboard.store.js';
import { MemoryDashboardStore } from './memory-dashboard.store.js';
import { RedisDashboardStore } from './redis-dashboard.store.js';

/**
 * Records every delivery outcome for the dashboard, from `WebhookEvents`: one cheap
 * append per outcome on the delivery's path. Exists only when the dashboard is configured.
 * Kept in memory, or in Redis when the delivery store is Redis (all instances then share it).
 */
@Injectable()
export class DashboardRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);
  private untap?: () => void;
  private storeInstance?: DashboardStore;
  private recordingFailed = false;

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
            showBodies: this.settings.showBodies,
            onError: (error) => this.logger.error(dashboardMessages.storeFailing(error)),
          })
        : new MemoryDashboardStore({ maxEntries: this.settings.maxEntries, showBodies: this.settings.showBodies });
    this.resume();
  }

  /**
   * Stops recording until {@link resume}; pages keep what was recorded. The delivery path is then
   * exactly the one without a dashboard (the benchmark compares the two in one process).
   * @internal
   */
  pause(): void {
    this.untap?.();
    this.untap = undefined;
  }

  /** @internal */
  resume(): void {
    if (this.untap) return;
    const store = this.store;
    // A tap, not a subscription to events$: the facts as emitted, with no event object built for them.
    this.untap = this.events.tap((facts, at) => {
      try {
        if (isDelivery(facts)) store.append(facts, at);
      } catch (error) {
        this.reportRecordingFailure(error);
      }
    });
  }

  /** Once: whatever goes wrong in recording, even in logging it, must never reach the delivery's own answer. */
  private reportRecordingFailure(error: unknown): void {
    if (this.recordingFailed) return;
    this.recordingFailed = true;
    try {
      this.logger.error(dashboardMessages.recordingFailed(error));
    } catch {
      // A logger that throws has nothing better to be told.
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.pause();
    await this.storeInstance?.close?.();
  }
}

/** Requests to the module's own reserved names (a mistyped dashboard URL that fell through to the webhook route) are not deliveries. */
function isDelivery(facts: WebhookOutcomeFacts): boolean {
  return !facts.source.startsWith('_');
}
