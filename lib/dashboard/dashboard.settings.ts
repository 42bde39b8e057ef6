import { WebhookConfigurationError } from '../core/errors/index.js';
import type { WebhooksModuleOptions } from '../module/webhooks.options.js';
import {
  DEFAULT_DASHBOARD_MAX_ENTRIES,
  DEFAULT_DASHBOARD_SEGMENT,
  type WebhookDashboardOptions,
  type WebhookDashboardRequest,
} from './dashboard.options.js';
import { dashboardMessages } from './dashboard.messages.js';

/** Injection token of the resolved dashboard settings. */
export const WEBHOOKS_DASHBOARD_SETTINGS = Symbol('nestjs-signed-webhooks:dashboard-settings');

/** The dashboard's options once `forRoot`'s (or `forRootAsync`'s extras) and the async factory's are merged and checked. */
export interface DashboardSettings {
  /** The route path, without slashes at either end. */
  readonly path: string;
  readonly authorize: (request: WebhookDashboardRequest) => boolean | Promise<boolean>;
  readonly showBodies: boolean;
  readonly maxEntries: number;
  readonly csrfSecret: string | undefined;
}

/** The dashboard's route path: given, or `<webhook path>/_dashboard`. */
export function dashboardPath(webhooksPath: string, dashboard: WebhookDashboardOptions): string {
  return trimSlashes(dashboard.path ?? `${trimSlashes(webhooksPath)}/${DEFAULT_DASHBOARD_SEGMENT}`);
}

/**
 * Checks the dashboard's configuration at start-up. `fixed` is what shapes the routes
 * (forRoot's options, or what forRootAsync was given beside its factory); `resolved`
 * is the async factory's `dashboard`, which may add `authorize` and the rest, not move the path.
 */
export function resolveDashboardSettings(
  webhooksPath: string,
  fixed: WebhookDashboardOptions,
  resolved: WebhookDashboardOptions | undefined,
): DashboardSettings {
  const path = dashboardPath(webhooksPath, fixed);
  if (resolved?.path !== undefined && trimSlashes(resolved.path) !== path) {
    throw new WebhookConfigurationError(dashboardMessages.pathMoved(path, resolved.path));
  }
  const merged: WebhookDashboardOptions = { ...fixed, ...resolved };
  if (typeof merged.authorize !== 'function') throw new WebhookConfigurationError(dashboardMessages.noAuthorize(path));
  const under = `${trimSlashes(webhooksPath)}/`;
  if (path === trimSlashes(webhooksPath) || (path.startsWith(under) && !path.slice(under.length).startsWith('_'))) {
    throw new WebhookConfigurationError(dashboardMessages.pathClashes(path, webhooksPath));
  }
  const maxEntries = merged.maxEntries ?? DEFAULT_DASHBOARD_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new WebhookConfigurationError(dashboardMessages.badMaxEntries(maxEntries));
  }
  const authorize = merged.authorize.bind(merged);
  return { path, authorize, showBodies: merged.showBodies === true, maxEntries, csrfSecret: merged.csrfSecret };
}

/** Fails start-up when an async factory returns a dashboard that `forRootAsync` was not given a path for. */
export function rejectUnroutedDashboard(options: WebhooksModuleOptions): void {
  if (options.dashboard) throw new WebhookConfigurationError(dashboardMessages.unrouted());
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
