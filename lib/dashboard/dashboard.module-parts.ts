import type { Provider, Type } from '@nestjs/common';
import { WEBHOOKS_MODULE_OPTIONS } from '../module/webhooks.constants.js';
import type { WebhooksModuleOptions } from '../module/webhooks.options.js';
import { DashboardAuthGuard } from './dashboard-auth.guard.js';
import { DashboardPages } from './dashboard-pages.service.js';
import { DashboardRecorder } from './dashboard-recorder.service.js';
import { createDashboardController } from './dashboard.controller.js';
import type { WebhookDashboardOptions } from './dashboard.options.js';
import {
  dashboardPath,
  rejectUnroutedDashboard,
  resolveDashboardSettings,
  WEBHOOKS_DASHBOARD_SETTINGS,
} from './dashboard.settings.js';

/** Injection token of a provider that only checks, at start-up, that no dashboard is configured without routes. */
const DASHBOARD_ABSENT_CHECK = Symbol('nestjs-signed-webhooks:dashboard-absent');

/**
 * What the dashboard adds to the module: nothing but a start-up check when it is not
 * configured; otherwise its providers and its controller, which must come before the webhook routes.
 */
export function dashboardModuleParts(
  webhooksPath: string,
  dashboard: WebhookDashboardOptions | undefined,
): { providers: Provider[]; controllers: Type<unknown>[] } {
  if (!dashboard) {
    return {
      providers: [
        { provide: DASHBOARD_ABSENT_CHECK, useFactory: rejectUnroutedDashboard, inject: [WEBHOOKS_MODULE_OPTIONS] },
      ],
      controllers: [],
    };
  }
  return {
    providers: [
      {
        provide: WEBHOOKS_DASHBOARD_SETTINGS,
        useFactory: (options: WebhooksModuleOptions) =>
          resolveDashboardSettings(webhooksPath, dashboard, options.dashboard),
        inject: [WEBHOOKS_MODULE_OPTIONS],
      },
      DashboardRecorder,
      DashboardPages,
      DashboardAuthGuard,
    ],
    controllers: [createDashboardController(dashboardPath(webhooksPath, dashboard))],
  };
}
