import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { WebhookEvents, type WebhookOutcomeEvent } from '../module/webhook-events.js';
import { DASHBOARD_LOGGER_CONTEXT, dashboardMessages } from './dashboard.messages.js';
import { WEBHOOKS_DASHBOARD_SETTINGS, type DashboardSettings } from './dashboard.settings.js';
import type { DashboardStore } from './dashboard.store.js';
import { MemoryDashboardStore } from './memory-dashboard.store.js';
import { RedisDashboardStore } from './redis-dashboard.store.js';

/**
 * Records every outcome for the dashboard, through `WebhookEvents.onOutcome` (the public,
 * synchronous listener): one plain call and a few field writes per outcome on the delivery's
 * path. Kept in memory, or in Redis with `store: { redis }` (every instance then shares it).
 */
@Injectable()
export class DashboardRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);
  private stopListening?: () => void;
  private storeInstance?: DashboardStore;
  private recordingFailed = false;
  private readonly listener = (event: WebhookOutcomeEvent): void => {
    try {
      // The module's own reserved names (a mistyped dashboard URL that fell through to the webhook route) are not deliveries.
      if (event.source.charCodeAt(0) !== UNDERSCORE) this.storeInstance!.append(event);
    } catch (error) {
      this.reportRecordingFailure(error);
    }
  };

  constructor(
    @Inject(WEBHOOKS_DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
    // Optional only so that, without WebhooksModule, start-up fails with the settings' message, not Nest's.
    @Optional() private readonly events: WebhookEvents,
  ) {}

  /** The store pages read from. */
  get store(): DashboardStore {
    if (!this.storeInstance) throw new WebhookConfigurationError(dashboardMessages.notStarted());
    return this.storeInstance;
  }

  /** Whether outcomes are being recorded (from start-up until {@link pause}). */
  get recording(): boolean {
    return this.stopListening !== undefined;
  }

  async onModuleInit(): Promise<void> {
    const { redis, maxEntries, showBodies } = this.settings;
    this.storeInstance = redis
      ? await RedisDashboardStore.connect(redis, {
          maxEntries,
          showBodies,
          onError: (error) => this.logger.error(dashboardMessages.storeFailing(error)),
        })
      : new MemoryDashboardStore({ maxEntries, showBodies });
    this.resume();
  }

  /** Stops recording; pages keep what was recorded. Nothing listens for the dashboard any more. */
  pause(): void {
    this.stopListening?.();
    this.stopListening = undefined;
  }

  /** Records again (once, however often it is called). */
  resume(): void {
    if (this.stopListening || !this.storeInstance) return;
    this.stopListening = this.events.onOutcome(this.listener);
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

const UNDERSCORE = 0x5f;
