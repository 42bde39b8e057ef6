import { WebhookConfigurationError, WebhookDeliveryError } from '../core/errors/index.js';
import { optionInvalid, redisNotConnected } from '../core/errors/webhook.messages.js';
import type { DeliveryClaim, DeliveryClaimState, DeliveryProgress, DeliveryStore } from './delivery-store.js';
import {
  closeRedisClient,
  connectRedis,
  isRedisCluster,
  writeTogetherThisTurn,
  type RedisClient,
  type RedisConnection,
} from './redis-connection.js';

/**
 * Claim in one round trip: free or own claim → claimed (with the handlers an earlier
 * attempt completed, kept in KEYS[2]); done → done; another's claim → in_progress.
 */
const CLAIM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value or value == 'p:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
  return {'claimed', redis.call('SMEMBERS', KEYS[2])}
end
if value == 'done' then return {'done', {}} end
return {'in_progress', {}}`;

/**
 * Release only our own claim, never one that expired and was taken by someone else,
 * recording the handlers that succeeded (ARGV[2] = ttl in seconds, ARGV[3..] = handlers).
 */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= 'p:' .. ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if #ARGV > 2 then
  redis.call('SADD', KEYS[2], unpack(ARGV, 3))
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return 1`;

/** Done: remembered for ARGV[1] seconds; the partial progress is no longer needed. */
const COMPLETE_SCRIPT = `
redis.call('SET', KEYS[1], 'done', 'EX', ARGV[1])
redis.call('DEL', KEYS[2])
return 1`;

/**
 * The scripts as commands: ioredis sends each by its SHA (EVALSHA, loading it on a node that
 * answers NOSCRIPT), to the node that owns KEYS[1], on one Redis and on a Redis Cluster alike.
 * Every script touches only its KEYS, and both KEYS of a delivery share one hash tag.
 */
const COMMANDS = {
  claim: { name: 'webhooksDeliveryClaim', lua: CLAIM_SCRIPT },
  release: { name: 'webhooksDeliveryRelease', lua: RELEASE_SCRIPT },
  complete: { name: 'webhooksDeliveryComplete', lua: COMPLETE_SCRIPT },
} as const;

type Script = (mainKey: string, progressKey: string, ...args: (string | number)[]) => Promise<unknown>;

/** The client with the scripts defined as commands. */
type DeliveryCommands = Record<(typeof COMMANDS)[keyof typeof COMMANDS]['name'], Script>;

/** Options of {@link RedisDeliveryStore}. */
export interface RedisDeliveryStoreOptions {
  /**
   * Prefix of every key (default `nestjs-signed-webhooks:delivery:`). Without `{` or `}`: the
   * store puts each delivery's key in braces itself, so that its two keys share a cluster slot.
   */
  readonly keyPrefix?: string;
}

/**
 * The shared store: every claim is one atomic Lua script, so app instances behind a
 * load balancer never process the same delivery twice. Entries expire by themselves.
 * Works on one Redis and on a Redis Cluster: deliveries spread over the slots, and the two
 * keys of one delivery always share a slot.
 */
export class RedisDeliveryStore implements DeliveryStore {
  private readonly prefix: string;
  private readonly commands: DeliveryCommands;

  constructor(
    private readonly client: RedisClient,
    options: RedisDeliveryStoreOptions = {},
  ) {
    this.prefix = keyPrefix(options);
    for (const { name, lua } of Object.values(COMMANDS)) client.defineCommand(name, { numberOfKeys: 2, lua });
    this.commands = client as unknown as DeliveryCommands;
  }

  /** Connects (failing fast with a message that names Redis) and returns the store. */
  static async connect(
    connection: RedisConnection,
    options: RedisDeliveryStoreOptions = {},
  ): Promise<RedisDeliveryStore> {
    // A delivery must not wait forever on a Redis that is down: it gets 503 and the sender retries.
    // A cluster client would hold commands while it reconnects, however long: they fail at once instead.
    keyPrefix(options);
    const client = await connectRedis(connection, 'the Redis delivery store', {
      maxRetriesPerRequest: 2,
      ...(isRedisCluster(connection) ? { enableOfflineQueue: false } : {}),
    });
    return new RedisDeliveryStore(client, options);
  }

  async claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim> {
    writeTogetherThisTurn(this.client);
    const [state, handledBy] = (await this.commands[COMMANDS.claim.name](
      this.mainKey(key),
      this.progressKey(key),
      owner,
      Math.ceil(leaseSeconds * 1000),
    )) as [DeliveryClaimState, string[]];
    return { state, handledBy };
  }

  async complete(key: string, ttlSeconds: number): Promise<void> {
    writeTogetherThisTurn(this.client);
    await this.commands[COMMANDS.complete.name](this.mainKey(key), this.progressKey(key), seconds(ttlSeconds));
  }

  async release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    const ttl = seconds(progress?.ttlSeconds ?? 1);
    writeTogetherThisTurn(this.client);
    await this.commands[COMMANDS.release.name](
      this.mainKey(key),
      this.progressKey(key),
      owner,
      ttl,
      ...(progress?.handledBy ?? []),
    );
  }

  /**
   * The braces make both keys of a delivery hash to one Redis Cluster slot, as a script needs:
   * the prefix holds no brace, so the tag opens at ours and closes at the first `}` after it,
   * which is within this key whatever the delivery id holds, and the key starts with a source
   * name (never a brace), so the tag is never empty.
   */
  private mainKey(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  /** The set of handlers that succeeded in an earlier, partly failed attempt. */
  private progressKey(key: string): string {
    return `${this.prefix}{${key}}#handled`;
  }

  /**
   * Sends PING, when the connection is up. While ioredis reconnects it would hold the command until
   * Redis is back: a connection that is not ready fails at once instead.
   */
  async ping(): Promise<void> {
    const { status } = this.client;
    if (status !== 'ready') throw new WebhookDeliveryError('delivery_store_unavailable', redisNotConnected(status));
    await this.client.ping();
  }

  async close(): Promise<void> {
    await closeRedisClient(this.client);
  }
}

/** The prefix, refused with a brace: one would move the hash tag, or empty it (`{}`), and split a delivery's keys. */
function keyPrefix(options: RedisDeliveryStoreOptions): string {
  const prefix = options.keyPrefix ?? 'nestjs-signed-webhooks:delivery:';
  if (/[{}]/.test(prefix)) {
    throw new WebhookConfigurationError(
      optionInvalid('keyPrefix', 'free of "{" and "}" (the store puts each delivery\'s key in braces itself)'),
    );
  }
  return prefix;
}

function seconds(value: number): number {
  return Math.max(1, Math.ceil(value));
}
