import type { Redis } from 'ioredis';
import type { DeliveryClaim, DeliveryClaimState, DeliveryProgress, DeliveryStore } from './delivery-store.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';

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

/** Options of {@link RedisDeliveryStore}. */
export interface RedisDeliveryStoreOptions {
  /** Prefix of every key (default `nestjs-signed-webhooks:delivery:`). */
  readonly keyPrefix?: string;
}

/**
 * The shared store: every claim is one atomic Lua script, so app instances behind a
 * load balancer never process the same delivery twice. Entries expire by themselves.
 */
export class RedisDeliveryStore implements DeliveryStore {
  private readonly prefix: string;

  constructor(
    private readonly client: Redis,
    options: RedisDeliveryStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'nestjs-signed-webhooks:delivery:';
  }

  /** Connects (failing fast with a message that names Redis) and returns the store. */
  static async connect(
    connection: RedisConnection,
    options: RedisDeliveryStoreOptions = {},
  ): Promise<RedisDeliveryStore> {
    // A delivery must not wait forever on a Redis that is down: it gets 503 and the sender retries.
    const client = await connectRedis(connection, 'the Redis delivery store', { maxRetriesPerRequest: 2 });
    return new RedisDeliveryStore(client, options);
  }

  async claim(key: string, owner: string, leaseSeconds: number): Promise<DeliveryClaim> {
    const [state, handledBy] = (await this.client.eval(
      CLAIM_SCRIPT,
      2,
      this.mainKey(key),
      this.progressKey(key),
      owner,
      Math.ceil(leaseSeconds * 1000),
    )) as [DeliveryClaimState, string[]];
    return { state, handledBy };
  }

  async complete(key: string, ttlSeconds: number): Promise<void> {
    await this.client.eval(COMPLETE_SCRIPT, 2, this.mainKey(key), this.progressKey(key), seconds(ttlSeconds));
  }

  async release(key: string, owner: string, progress?: DeliveryProgress): Promise<void> {
    const ttl = seconds(progress?.ttlSeconds ?? 1);
    await this.client.eval(
      RELEASE_SCRIPT,
      2,
      this.mainKey(key),
      this.progressKey(key),
      owner,
      ttl,
      ...(progress?.handledBy ?? []),
    );
  }

  /** The braces make both keys of a delivery hash to one Redis Cluster slot, as a script needs. */
  private mainKey(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  /** The set of handlers that succeeded in an earlier, partly failed attempt. */
  private progressKey(key: string): string {
    return `${this.prefix}{${key}}#handled`;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function seconds(value: number): number {
  return Math.max(1, Math.ceil(value));
}
