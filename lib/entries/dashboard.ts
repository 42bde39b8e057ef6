// `nestjs-signed-webhooks/dashboard`: the deliveries dashboard, a module of its own beside `WebhooksModule`.

export { WebhooksDashboardModule } from '../dashboard/webhooks-dashboard.module.js';
export { WebhooksDashboard } from '../dashboard/webhooks-dashboard.service.js';
export {
  DEFAULT_DASHBOARD_MAX_ENTRIES,
  DEFAULT_DASHBOARD_PATH,
  type DashboardStoreOption,
  type WebhookDashboardRequest,
  type WebhooksDashboardModuleAsyncOptions,
  type WebhooksDashboardModuleExtras,
  type WebhooksDashboardModuleOptions,
  type WebhooksDashboardOptionsFactory,
} from '../dashboard/dashboard.options.js';
export type {
  DashboardDeadLetter,
  DashboardDeadLetters,
  DashboardDeliveryDetail,
  DashboardDeliveryList,
  DashboardDeliverySummary,
  DashboardOutcomeCounts,
  DashboardOverview,
  DashboardReplay,
  DashboardSourceOverview,
  DashboardTimelineBucket,
} from '../dashboard/dashboard.models.js';
