// No ioredis import here: these types are public, and ioredis is an optional peer dependency.

/** Redis connection settings as ioredis takes them (`host`, `port`, `password`, `db`, `tls`, …). */
export interface RedisConnectionOptions {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: Readonly<Record<string, unknown>>;
  /** Not here: a Redis Cluster is `{ cluster: [...] }` ({@link RedisClusterConnection}). */
  readonly cluster?: never;
  readonly [option: string]: unknown;
}

/** One node of a Redis Cluster to discover the others from. */
export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/**
 * The settings of each node's connection (ioredis' `redisOptions`): `password`, `username`,
 * `tls`, `connectTimeout`, …. Not `keyPrefix` (refused: the keys' hash tags and BullMQ's
 * keys must stay as the library writes them), nor `db` (a cluster has database 0 only).
 */
export interface RedisClusterNodeOptions {
  readonly username?: string;
  readonly password?: string;
  readonly tls?: Readonly<Record<string, unknown>>;
  readonly connectTimeout?: number;
  readonly keyPrefix?: never;
  readonly db?: never;
  readonly [option: string]: unknown;
}

/**
 * Options of the Redis Cluster client: the subset of ioredis' `ClusterOptions` that the
 * library supports. Reads and writes always go to masters (ioredis' `scaleReads` is not
 * offered: a replica may not have seen a claim yet).
 */
export interface RedisClusterOptions {
  /** The settings of every node's connection, ioredis' `redisOptions`. */
  readonly redisOptions?: RedisClusterNodeOptions;
  /** Redirections (`MOVED`, `ASK`) followed per command before it fails (default 16). */
  readonly maxRedirections?: number;
  /** Delay before a command is retried when its node's connection is lost, in ms (default 100). */
  readonly retryDelayOnFailover?: number;
  /** Delay before a command is retried after `CLUSTERDOWN`, in ms (default 100). */
  readonly retryDelayOnClusterDown?: number;
  /** Delay before a command is retried after `TRYAGAIN` (a slot being migrated), in ms (default 100). */
  readonly retryDelayOnTryAgain?: number;
  /** Delay before a command is resent to the node a `MOVED` names, in ms (default 0). */
  readonly retryDelayOnMoved?: number;
  /** How long a refresh of the slot map may take, in ms (default 1000). */
  readonly slotsRefreshTimeout?: number;
  /** How often the slot map is refreshed, in ms (default 5000). */
  readonly slotsRefreshInterval?: number;
  /** Wait for `cluster_state:ok` before using the cluster (default `true`). */
  readonly enableReadyCheck?: boolean;
  /**
   * Addresses the nodes announce, mapped to the ones this process reaches them at
   * (`{ '10.0.1.5:6379': { host: 'redis-0.example', port: 6379 } }`), for a cluster behind NAT.
   */
  readonly natMap?: Readonly<Record<string, RedisClusterNode>>;
  /**
   * Resolves a node's host name (default `dns.lookup`). Managed clusters with TLS often need
   * `(address, callback) => callback(null, address)`, so that certificates are checked
   * against the host name rather than an IP address.
   */
  readonly dnsLookup?: (
    hostname: string,
    callback: (error: NodeJS.ErrnoException | null, address: string, family?: number) => void,
  ) => void;
}

/**
 * A Redis Cluster: the nodes to start from (one reachable master is enough; the client
 * discovers the rest) and the client's options.
 *
 * @example
 * ```ts
 * connection: {
 *   cluster: [{ host: 'redis-0', port: 6379 }, { host: 'redis-1', port: 6379 }, { host: 'redis-2', port: 6379 }],
 *   options: { redisOptions: { password: process.env.REDIS_PASSWORD } },
 * }
 * ```
 */
export interface RedisClusterConnection {
  readonly cluster: readonly RedisClusterNode[];
  readonly options?: RedisClusterOptions;
}

/**
 * An ioredis `Cluster` you built yourself (`new Cluster(nodes, options)`), typed by its shape
 * so that ioredis stays an optional dependency. The library never uses, reconfigures or
 * closes it: it opens connections of its own with the same nodes and options
 * (`cluster.duplicate()`), and closes those at shutdown. Its options must not set `keyPrefix`.
 */
export interface RedisClusterClient {
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster: boolean;
  /** The cluster's options (`redisOptions`, retry delays, …). */
  readonly options: object;
  /** A new, independent client with the same nodes and options. */
  duplicate(): unknown;
}

/**
 * Where Redis is: a URL (`redis://user:pass@host:6379/0`), connection options, a Redis
 * Cluster (`{ cluster: [{ host, port }, ...], options? }`) or an ioredis `Cluster` instance.
 */
export type RedisConnection = string | RedisConnectionOptions | RedisClusterConnection | RedisClusterClient;
