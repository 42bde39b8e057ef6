import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, type RedisConnection } from '../deliveries/redis-connection.js';
import type { WebhookOutcomeFacts } from '../module/webhook-events.js';
import {
  countFieldOf,
  mergeUpdates,
  openKeyOf,
  toDashboardUpdate,
  type DashboardRecord,
  type DashboardUpdate,
} from './dashboard-record.js';
import {
  COUNTED_MINUTES,
  matchesFilter,
  minuteOf,
  type DashboardFilter,
  type DashboardStore,
  type MinuteCounts,
} from './dashboard.store.js';

/**
 * One append in one round trip. KEYS[1] is the key prefix (with a hash tag, so every key
 * of the dashboard lives in one Redis Cluster slot). ARGV: new id, outcome, open key
 * ('' for none), the update's JSON, max records, record TTL (s), count field, minute.
 * A record is a list of its updates' JSON; a final outcome joins its delivery's open record.
 */
const APPEND_SCRIPT = `
local p = KEYS[1]
local id = false
if ARGV[2] ~= 'verified' and ARGV[3] ~= '' then
  id = redis.call('GET', p .. 'open:' .. ARGV[3])
  if id then
    redis.call('DEL', p .. 'open:' .. ARGV[3])
    if redis.call('EXISTS', p .. 'rec:' .. id) == 0 then id = false end
  end
end
if id then
  redis.call('RPUSH', p .. 'rec:' .. id, ARGV[4])
else
  id = ARGV[1]
  redis.call('RPUSH', p .. 'rec:' .. id, ARGV[4])
  redis.call('EXPIRE', p .. 'rec:' .. id, ARGV[6])
  redis.call('LPUSH', p .. 'ids', id)
  local max = tonumber(ARGV[5])
  for _, old in ipairs(redis.call('LRANGE', p .. 'ids', max, -1)) do redis.call('DEL', p .. 'rec:' .. old) end
  redis.call('LTRIM', p .. 'ids', 0, max - 1)
  if ARGV[2] == 'verified' and ARGV[3] ~= '' then
    redis.call('SET', p .. 'open:' .. ARGV[3], id, 'EX', ARGV[6])
  end
end
local counts = p .. 'counts:' .. ARGV[8]
redis.call('HINCRBY', counts, ARGV[7], 1)
redis.call('EXPIRE', counts, ${(COUNTED_MINUTES + 60) * 60})
return id`;

const APPEND_COMMAND = 'webhooksDashboardAppend';

/** The client with the append script defined as a command. */
type AppendCommand = Record<typeof APPEND_COMMAND, (...args: (string | number)[]) => Promise<unknown>>;

/** Options of {@link RedisDashboardStore}. */
export interface RedisDashboardStoreOptions {
  readonly maxEntries: number;
  /** Keep the start of each body, as text. */
  readonly showBodies?: boolean;
  /** Prefix of every key; keep the `{…}` hash tag. Default `{nestjs-signed-webhooks:dashboard}:`. */
  readonly keyPrefix?: string;
  /** How long a record is kept at most, in seconds (default two days). */
  readonly ttlSeconds?: number;
  /** Told once when an append fails (Redis down): appends never wait for, or fail, a delivery. */
  readonly onError?: (error: unknown) => void;
}

/** Recent deliveries in Redis, so every app instance shows the same history. */
export class RedisDashboardStore implements DashboardStore {
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  /** Random per store, not the pid: every container's process is pid 1, and instances share the records. */
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  private failing = false;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisDashboardStoreOptions,
  ) {
    this.prefix = options.keyPrefix ?? '{nestjs-signed-webhooks:dashboard}:';
    this.ttlSeconds = options.ttlSeconds ?? 2 * 24 * 3600;
    // Sent by its SHA (EVALSHA, the script loaded once), not as text with every delivery.
    client.defineCommand(APPEND_COMMAND, { numberOfKeys: 1, lua: APPEND_SCRIPT });
  }

  /** Connects (failing fast with a message that names Redis) and returns the store. */
  static async connect(connection: RedisConnection, options: RedisDashboardStoreOptions): Promise<RedisDashboardStore> {
    // No offline queue: while Redis is down an append fails at once instead of piling up in memory.
    const client = await connectRedis(connection, 'the webhooks dashboard', {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    return new RedisDashboardStore(client, options);
  }

  append(facts: WebhookOutcomeFacts, at: number): void {
    const update = toDashboardUpdate(facts, at, this.options.showBodies === true);
    this.sequence += 1;
    const id = `${update.at.toString(36)}-${this.instance}-${this.sequence.toString(36)}`;
    (this.client as unknown as AppendCommand)
      [APPEND_COMMAND](
        this.prefix,
        id,
        update.outcome,
        openKeyOf(update) ?? '',
        JSON.stringify(update),
        this.options.maxEntries,
        this.ttlSeconds,
        countFieldOf(update),
        minuteOf(update.at),
      )
      .then(
        () => {
          this.failing = false;
        },
        (error: unknown) => {
          // Once per outage, not once per delivery.
          if (!this.failing) this.options.onError?.(error);
          this.failing = true;
        },
      );
  }

  async list(filter: DashboardFilter): Promise<DashboardRecord[]> {
    const ids = await this.client.lrange(`${this.prefix}ids`, 0, this.options.maxEntries - 1);
    const limit = filter.limit ?? ids.length;
    const found: DashboardRecord[] = [];
    for (const record of await this.records(ids)) {
      if (found.length >= limit) break;
      if (record && matchesFilter(record, filter)) found.push(record);
    }
    return found;
  }

  async get(id: string): Promise<DashboardRecord | undefined> {
    return (await this.records([id]))[0];
  }

  async counts(fromMinute: number): Promise<MinuteCounts[]> {
    const minutes: number[] = [];
    for (let minute = fromMinute; minute <= minuteOf(Date.now()); minute += 1) minutes.push(minute);
    const pipeline = this.client.pipeline();
    for (const minute of minutes) pipeline.hgetall(`${this.prefix}counts:${minute}`);
    const answers = (await pipeline.exec()) ?? [];
    const found: MinuteCounts[] = [];
    answers.forEach(([error, hash], index) => {
      if (error) throw error;
      const fields = Object.entries(hash as Record<string, string>);
      if (fields.length === 0) return;
      found.push({ minute: minutes[index]!, counts: Object.fromEntries(fields.map(([k, v]) => [k, Number(v)])) });
    });
    return found;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async records(ids: readonly string[]): Promise<(DashboardRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.lrange(`${this.prefix}rec:${id}`, 0, -1);
    const answers = (await pipeline.exec()) ?? [];
    return answers.map(([error, updates], index) => {
      if (error) throw error;
      const list = updates as string[];
      return list.length > 0
        ? mergeUpdates(
            ids[index]!,
            list.map((json) => JSON.parse(json) as DashboardUpdate),
          )
        : undefined;
    });
  }
}
