import { Injectable } from '@nestjs/common';
import { DashboardRecorder } from './dashboard-recorder.service.js';

/**
 * The dashboard's recording, injectable wherever `WebhooksDashboardModule` is imported. It
 * records from start-up; `pause()` stops it (the pages keep what was recorded, and the
 * dashboard no longer listens to `WebhookEvents`, so the delivery path is exactly that of an
 * app without a dashboard) and `resume()` starts it again. Use it to stop recording during a
 * load test or an incident, or to measure what recording costs (`npm run bench:dashboard` does).
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Maintenance {
 *   constructor(private readonly dashboard: WebhooksDashboard) {}
 *   async replayBacklog(): Promise<void> {
 *     this.dashboard.pause();
 *     try {
 *       await this.replay();
 *     } finally {
 *       this.dashboard.resume();
 *     }
 *   }
 * }
 * ```
 */
@Injectable()
export class WebhooksDashboard {
  constructor(private readonly recorder: DashboardRecorder) {}

  /** Whether outcomes are being recorded. */
  get recording(): boolean {
    return this.recorder.recording;
  }

  /** Stops recording until {@link resume}; the pages keep showing what was recorded. */
  pause(): void {
    this.recorder.pause();
  }

  /** Records every outcome again, from now on (calling it twice records each outcome once). */
  resume(): void {
    this.recorder.resume();
  }
}
