import { WebhookConfigurationError } from '../core/errors/index.js';
import type { RedisConnection } from '../deliveries/redis-connection.options.js';
import { dashboardMessages } from './dashboard.messages.js';
import {
  DEFAULT_DASHBOARD_MAX_ENTRIES,
  DEFAULT_DASHBOARD_PATH,
  type WebhookDashboardRequest,
  type WebhooksDashboardModuleOptions,
} from './dashboard.options.js';

/** Injection token of the options given to `forRoot`, or returned by the `forRootAsync` factory. */
export const WEBHOOKS_DASHBOARD_OPTIONS = Symbol('nestjs-signed-webhooks:dashboard-options');

/** Injection token of the route path fixed at import. */
export const WEBHOOKS_DASHBOARD_PATH = Symbol('nestjs-signed-webhooks:dashboard-path');

/** Injection token of the resolved dashboard settings. */
export const WEBHOOKS_DASHBOARD_SETTINGS = Symbol('nestjs-signed-webhooks:dashboard-settings');

/** The dashboard's options once checked, with their defaults. */
export interface DashboardSettings {
  /** The route path, without slashes at either end. */
  readonly path: string;
  readonly authorize: (request: WebhookDashboardRequest) => boolean | Promise<boolean>;
  readonly showBodies: boolean;
  readonly maxEntries: number;
  readonly csrfSecret: string | undefined;
  /** Where recent deliveries are kept: in memory, or in the Redis it names. */
  readonly redis: RedisConnection | undefined;
}

const PATH = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

/** The dashboard's route path, as given (or the default), without slashes at either end; checked. */
export function dashboardPath(path: string | undefined): string {
  const trimmed = trimSlashes(path ?? DEFAULT_DASHBOARD_PATH);
  if (!PATH.test(trimmed)) throw new WebhookConfigurationError(dashboardMessages.badPath(String(path)));
  return trimmed;
}

/**
 * Checks the dashboard's configuration at start-up. `path` is the one fixed at import
 * (`forRoot`'s, or the one beside `forRootAsync`'s factory); `options` are `forRoot`'s or
 * the factory's, which may not move it. `sourceNames` are the webhook sources configured.
 */
export function resolveDashboardSettings(
  path: string,
  options: Partial<WebhooksDashboardModuleOptions> | undefined,
  sourceNames: readonly string[],
): DashboardSettings {
  const given = options ?? {};
  if (given.path !== undefined && trimSlashes(given.path) !== path) {
    throw new WebhookConfigurationError(dashboardMessages.pathMoved(path, given.path));
  }
  if (typeof given.authorize !== 'function') throw new WebhookConfigurationError(dashboardMessages.noAuthorize(path));
  // The webhook routes are `<webhooks path>/:source` and `<webhooks path>/:source/:tenant` (GET too): a dashboard
  // whose last segment, or the one before it, is a source name would answer what that source's sender sends.
  const segments = path.split('/');
  const clash = segments.slice(-2).find((segment) => sourceNames.includes(segment));
  if (clash !== undefined) throw new WebhookConfigurationError(dashboardMessages.pathClashes(path, clash));
  const maxEntries = given.maxEntries ?? DEFAULT_DASHBOARD_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new WebhookConfigurationError(dashboardMessages.badMaxEntries(maxEntries));
  }
  return {
    path,
    authorize: given.authorize.bind(given),
    showBodies: given.showBodies === true,
    maxEntries,
    csrfSecret: given.csrfSecret,
    redis: redisOf(given.store),
  };
}

function redisOf(store: WebhooksDashboardModuleOptions['store']): RedisConnection | undefined {
  if (store === undefined || store === 'memory') return undefined;
  const redis = typeof store === 'object' && store !== null ? (store as { redis?: unknown }).redis : undefined;
  if (typeof redis === 'string' || (typeof redis === 'object' && redis !== null)) return redis as RedisConnection;
  throw new WebhookConfigurationError(dashboardMessages.badStore());
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
