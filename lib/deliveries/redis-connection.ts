import type { Writable } from 'node:stream';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { WebhookConfigurationError } from '../core/errors/index.js';
import {
  clusterNotReady,
  noAnswerWithin,
  optionInvalid,
  packageMissing,
  redisUnreachable,
} from '../core/errors/webhook.messages.js';
import type {
  RedisClusterClient,
  RedisClusterConnection,
  RedisClusterNode,
  RedisConnection,
  RedisConnectionOptions,
} from './redis-connection.options.js';

export type {
  RedisClusterClient,
  RedisClusterConnection,
  RedisClusterNode,
  RedisClusterNodeOptions,
  RedisClusterOptions,
  RedisConnection,
  RedisConnectionOptions,
} from './redis-connection.options.js';

/** How long start-up waits for Redis before failing. */
export const REDIS_STARTUP_TIMEOUT_MS = 10_000;

/** A client of one Redis, or of a Redis Cluster: the commands the library sends work on both. */
export type RedisClient = Redis | Cluster;

/** A connection to one Redis (a URL or options), as opposed to a cluster. */
export type SingleRedisConnection = string | RedisConnectionOptions;

/** Nodes named in messages at most; the rest are counted. */
const NODES_DESCRIBED = 6;

/** Whether `connection` is a Redis Cluster (`{ cluster: [...] }` or an ioredis `Cluster`). */
export function isRedisCluster(connection: RedisConnection): connection is RedisClusterConnection | RedisClusterClient {
  return isClusterConnection(connection) || isClusterClient(connection);
}

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
  if (isClusterConnection(connection)) {
    return describeNodes(Array.isArray(connection.cluster) ? (connection.cluster as readonly unknown[]) : []);
  }
  if (isClusterClient(connection)) {
    // Private in ioredis' types, but there: the nodes the cluster was created with.
    const nodes = (connection as unknown as { startupNodes?: unknown }).startupNodes;
    return describeNodes(Array.isArray(nodes) ? (nodes as readonly unknown[]) : []);
  }
  return `${String(connection.host ?? '127.0.0.1')}:${String(connection.port ?? 6379)}`;
}

/** Connection settings as plain ioredis options (a URL becomes `url`, which BullMQ also reads). */
export function toRedisOptions(connection: SingleRedisConnection): RedisOptions & { url?: string } {
  return typeof connection === 'string' ? { url: connection } : { ...(connection as RedisOptions) };
}

/**
 * Creates an ioredis client for `connection` without connecting it (it connects on its first
 * command, or `connect()`): a `Cluster` for a cluster, else a `Redis`. `overrides` are what the
 * purpose needs (`maxRetriesPerRequest`, `enableOfflineQueue`); on a cluster they apply to every
 * node's connection, `enableOfflineQueue` to the cluster client itself. Refuses, with a message
 * that says what is wrong, a connection that is neither.
 */
export async function createRedisClient(
  connection: RedisConnection,
  purpose: string,
  overrides: RedisOptions = {},
): Promise<RedisClient> {
  const ioredis = await importIoredis(purpose);
  if (isRedisCluster(connection)) return newCluster(ioredis.Cluster, connection, purpose, overrides);
  refuseClientInstance(connection, purpose);
  const options = { ...toRedisOptions(connection), lazyConnect: true, ...overrides };
  return options.url ? new ioredis.Redis(options.url, options) : new ioredis.Redis(options);
}

/**
 * Opens an ioredis client (a `Cluster` for a cluster connection) and proves Redis answers, or
 * fails with a message that names Redis and where it was looked for. A cluster must also
 * report `cluster_state:ok`. ioredis is an optional peer dependency.
 */
export async function connectRedis(
  connection: RedisConnection,
  purpose: string,
  overrides: RedisOptions = {},
): Promise<RedisClient> {
  const cluster = isRedisCluster(connection);
  if (cluster) validateCluster(connection, purpose);
  else refuseClientInstance(connection, purpose);
  await importIoredis(purpose);
  let client: RedisClient | undefined;
  try {
    // Inside the try: a malformed URL throws an error that carries the URL, password included.
    const created = await createRedisClient(connection, purpose, overrides);
    client = created;
    created.on('error', () => {
      // ioredis reconnects by itself; a failing command reports its own error.
    });
    await withTimeout(
      created.connect().then(async () => {
        await (isClusterClientOf(created) ? pingEveryMaster(created) : created.ping());
      }),
      REDIS_STARTUP_TIMEOUT_MS,
      // A cluster whose nodes answer but that is not `ok` (a master down) never becomes ready.
      cluster ? clusterNotReady(REDIS_STARTUP_TIMEOUT_MS) : undefined,
    );
    return created;
  } catch (error) {
    client?.disconnect();
    throw unreachable(connection, purpose, error);
  }
}

function isClusterClientOf(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/**
 * Every master answers, so every master's connection is open before the first command. Without
 * its offline queue a cluster client refuses a command to a node whose connection is still
 * opening and retries it a moment later: commands sent at once would reach Redis out of order.
 */
async function pingEveryMaster(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.nodes('master').map((node) => node.ping()));
}

/** The sockets held by {@link writeTogetherThisTurn} until the event loop's next check phase. */
const heldThisTurn = new WeakSet<Writable>();

/** The real `setImmediate`, as this module found it: what releases a held socket. */
const realSetImmediate = globalThis.setImmediate;

/**
 * Holds the client's writes until the event loop's next check phase (`setImmediate`), so the
 * commands of every delivery handled in this turn leave together: one system call and one
 * packet, instead of one per command. On a shared machine a loopback write costs tens of
 * microseconds, more than the command itself. Redis still runs the commands in the order they
 * were sent. (ioredis's `enableAutoPipelining` batches too, but wraps each command in a pipeline
 * that costs more CPU than the writes it saves.) On a cluster it holds the masters' sockets.
 *
 * Nothing is held while `setImmediate` is faked (Jest's, Vitest's or Sinon's fake timers): a
 * faked one might never run, and the commands would never leave.
 */
export function writeTogetherThisTurn(client: RedisClient): void {
  if (!setImmediateIsReal()) return;
  if (isClusterClientOf(client)) {
    for (const node of client.nodes('master')) holdUntilNextTurn(node.stream);
    return;
  }
  holdUntilNextTurn(client.stream);
}

function holdUntilNextTurn(stream: Writable | undefined): void {
  // Not yet connected: ioredis keeps the commands itself, and writes them when it connects.
  if (!stream?.writable || heldThisTurn.has(stream)) return;
  stream.cork();
  heldThisTurn.add(stream);
  realSetImmediate(() => {
    heldThisTurn.delete(stream);
    stream.uncork();
  });
}

/**
 * Whether `setImmediate` is the real one: not replaced since this module loaded, and not a fake
 * installed before it (fake timers mark theirs with `clock`; Jest's mocks with `_isMockFunction`).
 */
function setImmediateIsReal(): boolean {
  const current = globalThis.setImmediate as typeof setImmediate & { clock?: unknown; _isMockFunction?: unknown };
  return current === realSetImmediate && current.clock === undefined && current._isMockFunction === undefined;
}

/** Closes a client politely, or at once when it never connected or does not answer. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === 'wait' || client.status === 'end') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}

/** The error for a Redis that does not answer at start-up. */
export function unreachable(connection: RedisConnection, purpose: string, error: unknown): WebhookConfigurationError {
  const cause = redact((error instanceof Error ? error.message : String(error)).replace(/\.$/, ''), connection);
  return new WebhookConfigurationError(redisUnreachable(describeRedis(connection), purpose, cause));
}

/** Rejects after `ms` unless `promise` settles first, with `message` (default: no answer within `ms`). */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string = noAnswerWithin(ms)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookConfigurationError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The two client classes of ioredis. */
interface Ioredis {
  readonly Redis: typeof Redis;
  readonly Cluster: typeof Cluster;
}

async function importIoredis(purpose: string): Promise<Ioredis> {
  try {
    const { Redis, Cluster } = await import('ioredis');
    return { Redis, Cluster };
  } catch {
    throw new WebhookConfigurationError(packageMissing(purpose, ['ioredis']));
  }
}

/** `{ cluster: [...] }` (an ioredis client has a `cluster` method too: the CLUSTER command). */
function isClusterConnection(connection: RedisConnection): connection is RedisClusterConnection {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    !isClientInstance(connection) &&
    (connection as { cluster?: unknown }).cluster !== undefined
  );
}

function isClusterClient(connection: RedisConnection): connection is RedisClusterClient {
  return isClientInstance(connection) && (connection as { isCluster?: unknown }).isCluster === true;
}

/** An ioredis client of either kind (rather than settings). */
function isClientInstance(connection: RedisConnection): boolean {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as { duplicate?: unknown }).duplicate === 'function'
  );
}

/** A `Redis` instance is not settings: spreading it as options would connect somewhere else entirely. */
function refuseClientInstance(connection: SingleRedisConnection, purpose: string): void {
  if (typeof connection !== 'string' && isClientInstance(connection)) {
    throw new WebhookConfigurationError(
      optionInvalid(
        `The Redis connection for ${purpose}`,
        'a URL, ioredis options, { cluster: [{ host, port }, ...] } or an ioredis Cluster ' +
          '(not an ioredis Redis instance: pass its URL or options)',
      ),
    );
  }
}

/** The nodes of `{ cluster }` are `{ host, port }`, and no `keyPrefix` moves the library's keys. */
function validateCluster(connection: RedisClusterConnection | RedisClusterClient, purpose: string): void {
  if (isClusterConnection(connection)) {
    const nodes: unknown = connection.cluster;
    if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every(isClusterNode)) {
      throw new WebhookConfigurationError(
        optionInvalid(
          `The Redis Cluster nodes for ${purpose}`,
          'a non-empty list of { host, port } (a host name and a port from 1 to 65535)',
        ),
      );
    }
  }
  if (keyPrefixOf(connection) !== undefined) {
    throw new WebhookConfigurationError(
      optionInvalid(
        `The Redis Cluster connection for ${purpose}`,
        "free of keyPrefix (the library's keys carry hash tags that must stay as written; " +
          'the queue has queue.prefix)',
      ),
    );
  }
}

function isClusterNode(node: unknown): node is RedisClusterNode {
  if (typeof node !== 'object' || node === null) return false;
  const { host, port } = node as { host?: unknown; port?: unknown };
  return (
    typeof host === 'string' && host !== '' && Number.isInteger(port) && Number(port) >= 1 && Number(port) <= 65535
  );
}

function keyPrefixOf(connection: RedisClusterConnection | RedisClusterClient): unknown {
  const options = connection.options as { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } } | undefined;
  const prefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
  return prefix === '' ? undefined : prefix;
}

/**
 * A `Cluster` of the library's own, never connected yet: from `{ cluster }`, or a duplicate of
 * the application's `Cluster` (which stays untouched). Reads go to masters, where claims are.
 */
function newCluster(
  ClusterClass: Ioredis['Cluster'],
  connection: RedisClusterConnection | RedisClusterClient,
  purpose: string,
  overrides: RedisOptions,
): Cluster {
  validateCluster(connection, purpose);
  const { enableOfflineQueue, ...nodeOverrides } = overrides;
  const settings: ClusterOptions = {
    lazyConnect: true,
    scaleReads: 'master',
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
  };
  if (isClusterClient(connection)) {
    // ioredis merges `redisOptions` with the original's.
    return (connection as unknown as Cluster).duplicate([], { ...settings, redisOptions: nodeOverrides });
  }
  const options = (connection.options ?? {}) as ClusterOptions;
  const nodes: ClusterNode[] = connection.cluster.map(({ host, port }) => ({ host, port }));
  return new ClusterClass(nodes, {
    ...options,
    ...settings,
    redisOptions: { ...options.redisOptions, ...nodeOverrides },
  });
}

/** `a:1, b:2, c:3 (Redis Cluster)`: at most a few, never a password. */
function describeNodes(nodes: readonly unknown[]): string {
  const named = nodes.slice(0, NODES_DESCRIBED).map(describeNode);
  const more = nodes.length > NODES_DESCRIBED ? ` and ${nodes.length - NODES_DESCRIBED} more` : '';
  return `${named.length > 0 ? named.join(', ') : 'no nodes'}${more} (Redis Cluster)`;
}

function describeNode(node: unknown): string {
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  if (typeof node === 'string') {
    try {
      const url = new URL(node.includes('://') ? node : `redis://${node}`);
      return `${url.hostname}:${url.port || '6379'}`;
    } catch {
      return 'a node given as a string';
    }
  }
  if (typeof node === 'object' && node !== null) {
    const { host, port } = node as { host?: unknown; port?: unknown };
    return `${typeof host === 'string' ? host : '127.0.0.1'}:${typeof port === 'number' ? port : 6379}`;
  }
  return 'an unreadable node';
}

/** The error text without the connection URL, or any URL's credentials, which may hold a password. */
function redact(text: string, connection: RedisConnection): string {
  const withoutUrl = typeof connection === 'string' ? text.split(connection).join('<redis url>') : text;
  return withoutUrl.replace(/(rediss?:\/\/)[^@\s/]*@/gi, '$1<credentials>@');
}
