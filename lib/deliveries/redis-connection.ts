import type { Redis, RedisOptions } from 'ioredis';
import { WebhookConfigurationError } from '../core/errors/index.js';
import { noAnswerWithin, packageMissing, redisUnreachable } from '../core/errors/webhook.messages.js';
import type { RedisConnection } from './redis-connection.options.js';

export type { RedisConnection, RedisConnectionOptions } from './redis-connection.options.js';

/** How long start-up waits for Redis before failing. */
export const REDIS_STARTUP_TIMEOUT_MS = 10_000;

/** Where a connection points, for messages (never the password). */
export function describeRedis(connection: RedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      return `${url.hostname}:${url.port || '6379'}`;
    } catch {
      return 'the configured Redis URL';
    }
  }
  return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}

/** Connection settings as plain ioredis options (a URL becomes `url`, which BullMQ also reads). */
export function toRedisOptions(connection: RedisConnection): RedisOptions & { url?: string } {
  return typeof connection === 'string' ? { url: connection } : { ...(connection as RedisOptions) };
}

/**
 * Opens an ioredis client and proves Redis answers, or fails with a message that names
 * Redis and where it was looked for. ioredis is an optional peer dependency.
 */
export async function connectRedis(
  connection: RedisConnection,
  purpose: string,
  overrides: RedisOptions = {},
): Promise<Redis> {
  const Redis = await importIoredis(purpose);
  let client: Redis | undefined;
  try {
    // Inside the try: a malformed URL throws an error that carries the URL, password included.
    const options = { ...toRedisOptions(connection), lazyConnect: true, ...overrides };
    const created = options.url ? new Redis(options.url, options) : new Redis(options);
    client = created;
    created.on('error', () => {
      // ioredis reconnects by itself; a failing command reports its own error.
    });
    await withTimeout(
      created.connect().then(() => created.ping()),
      REDIS_STARTUP_TIMEOUT_MS,
    );
    return created;
  } catch (error) {
    client?.disconnect();
    throw unreachable(connection, purpose, error);
  }
}

/** The error for a Redis that does not answer at start-up. */
export function unreachable(connection: RedisConnection, purpose: string, error: unknown): WebhookConfigurationError {
  const cause = redact((error instanceof Error ? error.message : String(error)).replace(/\.$/, ''), connection);
  return new WebhookConfigurationError(redisUnreachable(describeRedis(connection), purpose, cause));
}

async function importIoredis(purpose: string): Promise<typeof Redis> {
  try {
    return (await import('ioredis')).Redis;
  } catch {
    throw new WebhookConfigurationError(packageMissing(purpose, ['ioredis']));
  }
}

/** Rejects after `ms` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookConfigurationError(noAnswerWithin(ms))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The error text without the connection URL, which may hold a password. */
function redact(text: string, connection: RedisConnection): string {
  return typeof connection === 'string' ? text.split(connection).join('<redis url>') : text;
}
