import { connectRedis, type RedisConnection } from '../deliveries/redis-connection.js';
import type { WebhookOutcomeEvent } from '../module/webhook-events.js';
import {
  countFieldOf,
  mergeUpdates,
  refusedUnverified,
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

/** The list of records of attempts that were verified (or ran on a queue worker). */
const VERIFIED_LIST = 'ids';
/** The list of records of requests refused before verification: anyone can send those, so they push out only their like. */
const REFUSED_LIST = 'refused';

/**
 * One append in one round trip. KEYS[1] is the key prefix (with a hash tag, so every key of
 * the dashboard lives in one Redis Cluster slot). ARGV: attempt id, the update's JSON, the list
 * it opens a record in, max records per list, record TTL (s), count field, minute.
 * A record is the list of its attempt's updates, keyed by the attempt id (unique across
 * instances): an attempt's final outcome joins the record its `verified` opened, if the list
 * still holds it; otherwise it opens a record of its own. Lists hold `<sequence> <attempt id>`,
 * the sequence shared by both lists, so that pages merge them in the order records were opened.
 */
const APPEND_SCRIPT = `
local p = KEYS[1]
local rec = p .. 'rec:' .. ARGV[1]
local n = redis.call('RPUSH', rec, ARGV[2])
if n == 1 then
  redis.call('EXPIRE', rec, ARGV[5])
  local list = p .. ARGV[3]
  redis.call('LPUSH', list, redis.call('INCR', p .. 'seq') .. ' ' .. ARGV[1])
  local max = tonumber(ARGV[4])
  for _, old in ipairs(redis.call('LRANGE', list, max, -1)) do
    redis.call('DEL', p .. 'rec:' .. string.sub(old, string.find(old, ' ', 1, true) + 1))
  end
  redis.call('LTRIM', list, 0, max - 1)
end
local counts = p .. 'counts:' .. ARGV[7]
redis.call('HINCRBY', counts, ARGV[6], 1)
redis.call('EXPIRE', counts, ${(COUNTED_MINUTES + 60) * 60})
return n`;

const APPEND_COMMAND = 'webhooksDashboardAppend';

/** The client `connectRedis` opens (one Redis, or a cluster: every key here shares one hash slot). */
type DashboardRedisClient = Awaited<ReturnType<typeof connectRedis>>;

/** The client with the append script defined as a command. */
type AppendCommand = Record<typeof APPEND_COMMAND, (...args: (string | number)[]) => Promise<unknown>>;

/** What a record id (an attempt id) may look like: anything else is no record, and must not reach Redis as a key. */
const RECORD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Options of {@link RedisDashboardStore}. */
export interface RedisDashboardStoreOptions {
  /** How many records each list keeps: of verified attempts, and of requests refused before verification. */
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

/** Recent attempts in Redis, so every app instance records into, and shows, the same history. */
export class RedisDashboardStore implements DashboardStore {
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private failing = false;

  constructor(
    private readonly client: DashboardRedisClient,
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

  append(event: WebhookOutcomeEvent): void {
    const update = toDashboardUpdate(event, this.options.showBodies === true);
    (this.client as unknown as AppendCommand)
      [APPEND_COMMAND](
        this.prefix,
        update.attemptId,
        JSON.stringify(update),
        refusedUnverified(event) ? REFUSED_LIST : VERIFIED_LIST,
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
    const max = this.options.maxEntries - 1;
    const [verifiedItems, refusedItems] = await Promise.all([
      this.client.lrange(`${this.prefix}${VERIFIED_LIST}`, 0, max),
      this.client.lrange(`${this.prefix}${REFUSED_LIST}`, 0, max),
    ]);
    // Both lists newest first, merged by the sequence their records were opened in.
    const items = [...verifiedItems, ...refusedItems]
      .map(parseItem)
      .filter((item) => item !== undefined)
      .sort((a, b) => b.sequence - a.sequence);
    const records = await this.records(items.map((item) => item.id));
    const limit = filter.limit ?? records.length;
    const found: DashboardRecord[] = [];
    for (const record of records) {
      if (found.length >= limit) break;
      if (record && matchesFilter(record, filter)) found.push(record);
    }
    return found;
  }

  async get(id: string): Promise<DashboardRecord | undefined> {
    if (!RECORD_ID.test(id)) return undefined;
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
      const [first, ...rest] = (updates as string[]).map((json) => JSON.parse(json) as DashboardUpdate);
      return first ? mergeUpdates(ids[index]!, [first, ...rest]) : undefined;
    });
  }
}

/** A list item, `<sequence> <attempt id>`. */
function parseItem(item: string): { sequence: number; id: string } | undefined {
  const space = item.indexOf(' ');
  if (space < 1) return undefined;
  return { sequence: Number(item.slice(0, space)), id: item.slice(space + 1) };
}
