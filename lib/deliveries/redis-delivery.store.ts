import type { Redis } from 'ioredis';
import type { DeliveryClaim, DeliveryStore } from './delivery-store.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';

/** Claim in one round trip: free or own claim → claimed; done → done; another's claim → in_progress. */
const CLAIM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value or value == 'p:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if value == 'done' then return 'done' end
return 'in_progress'`;

/** Release only our own claim, never one that expired and was taken by someone else. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
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
    const result = await this.client.eval(CLAIM_SCRIPT, 1, this.prefix + key, owner, Math.ceil(leaseSeconds * 1000));
    return result as DeliveryClaim;
  }

  async complete(key: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.prefix + key, 'done', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async release(key: string, owner: string): Promise<void> {
    await this.client.eval(RELEASE_SCRIPT, 1, this.prefix + key, owner);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
