// No ioredis import here: these types are public, and ioredis is an optional peer dependency.

/** Redis connection settings as ioredis takes them (`host`, `port`, `password`, `db`, `tls`, …). */
export interface RedisConnectionOptions {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: Readonly<Record<string, unknown>>;
  readonly [option: string]: unknown;
}

/** A Redis URL (`redis://user:pass@host:6379/0`) or connection options. */
export type RedisConnection = string | RedisConnectionOptions;
