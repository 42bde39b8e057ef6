import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server of the test's own, on a free port in a temporary directory. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly connection: { host: string; port: number; password?: string };
  /** Stops the server (as a crash or restart would). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered, as a hung Redis. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
}

/**
 * Starts a redis-server; `npm test` has made sure one is installed (scripts/ensure-redis.sh).
 * With `password`, it requires it (`requirepass`), and `url` and `connection` carry it.
 */
export async function startTestRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const { password } = options;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'webhooks-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        ...(password === undefined ? [] : ['--requirepass', password]),
      ],
      {
        stdio: 'ignore',
      },
    );
    const spawned = child;
    await new Promise<void>((resolve, reject) => {
      spawned.once('error', (error) =>
        reject(new Error(`Could not start redis-server (${error.message}). Install it: apt-get install redis-server`)),
      );
      spawned.once('spawn', () => resolve());
    });
    await waitForPort(port, 10_000);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return {
    port,
    url:
      password === undefined
        ? `redis://127.0.0.1:${port}`
        : `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    connection: { host: '127.0.0.1', port, ...(password === undefined ? {} : { password }) },
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      await stop();
    },
  };
}

/** Stops a test Redis and removes its directory. */
export async function stopTestRedis(redis: TestRedis | undefined): Promise<void> {
  await redis?.stop();
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
