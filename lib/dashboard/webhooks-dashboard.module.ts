import { ConfigurableModuleBuilder, Module, type Provider } from '@nestjs/common';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { WebhookDeliveries } from '../module/webhook-deliveries.service.js';
import { WebhookEvents } from '../module/webhook-events.js';
import { DashboardAuthGuard } from './dashboard-auth.guard.js';
import { DashboardPages } from './dashboard-pages.service.js';
import { DashboardRecorder } from './dashboard-recorder.service.js';
import { createDashboardController } from './dashboard.controller.js';
import { dashboardMessages } from './dashboard.messages.js';
import {
  DEFAULT_DASHBOARD_PATH,
  type WebhooksDashboardModuleExtras,
  type WebhooksDashboardModuleOptions,
} from './dashboard.options.js';
import {
  dashboardPath,
  resolveDashboardSettings,
  WEBHOOKS_DASHBOARD_OPTIONS,
  WEBHOOKS_DASHBOARD_PATH,
  WEBHOOKS_DASHBOARD_SETTINGS,
} from './dashboard.settings.js';
import { WebhooksDashboard } from './webhooks-dashboard.service.js';

const { ConfigurableModuleClass: ConfigurableDashboardModule } =
  new ConfigurableModuleBuilder<WebhooksDashboardModuleOptions>({ optionsInjectionToken: WEBHOOKS_DASHBOARD_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createDashboardOptions')
    .setExtras<WebhooksDashboardModuleExtras>({ path: DEFAULT_DASHBOARD_PATH }, (definition, extras) => {
      // The path shapes the routes, so it is fixed here, where the module is imported.
      const path = dashboardPath(extras.path);
      const settings: Provider = {
        provide: WEBHOOKS_DASHBOARD_SETTINGS,
        useFactory: (
          options: Partial<WebhooksDashboardModuleOptions> | undefined,
          deliveries: WebhookDeliveries | undefined,
          events: WebhookEvents | undefined,
        ) => {
          if (!deliveries || !events) throw new WebhookConfigurationError(dashboardMessages.noWebhooksModule());
          return resolveDashboardSettings(path, options, deliveries.sourceNames());
        },
        inject: [
          WEBHOOKS_DASHBOARD_OPTIONS,
          { token: WebhookDeliveries, optional: true },
          { token: WebhookEvents, optional: true },
        ],
      };
      return {
        ...definition,
        providers: [...(definition.providers ?? []), { provide: WEBHOOKS_DASHBOARD_PATH, useValue: path }, settings],
        controllers: [...(definition.controllers ?? []), createDashboardController(path)],
      };
    })
    .build();

/**
 * The deliveries dashboard (`nestjs-signed-webhooks/dashboard`): what arrived, what was refused
 * and why, and replay of dead letters, served under `path` (default `webhooks/_dashboard`) to
 * the requests `authorize` accepts. Import it beside `WebhooksModule`, in either order; it is
 * built only on the module's public services, `WebhookEvents` (it records through
 * `onOutcome`) and `WebhookDeliveries` (dead letters and their replay).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     WebhooksModule.forRoot({ sources: { guuru: { secret: process.env.GUURU_SECRET } } }),
 *     WebhooksDashboardModule.forRoot({
 *       authorize: (request) => request.headers.authorization === `Bearer ${process.env.DASHBOARD_TOKEN}`,
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [DashboardRecorder, DashboardPages, DashboardAuthGuard, WebhooksDashboard],
  exports: [WebhooksDashboard],
})
export class WebhooksDashboardModule extends ConfigurableDashboardModule {}
