import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'supertest/types.js';
import { WebhookSigner, WebhooksModule } from '../../lib/index.js';
import { compileProject } from '../support/compile.js';
import { captureChildOutput, capturedLogs } from '../support/log-capture.js';
import { eventually, waitForQueueIdle } from '../support/queue-idle.js';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { deliver } from './fixtures/deliver.js';
import { SECRETS } from './fixtures/secrets.js';
import { startTestApp } from './fixtures/test-app.js';

const WORKER = join(process.cwd(), 'dist-test/test/e2e/processes/queue-worker.js');
/** A secret the suite's no-secret check looks for, in this process's logs and the workers'. */
const SECRET = SECRETS.guuru;

let redis: TestRedis;

beforeAll(async () => {
  // The worker runs as a real separate process, so it is compiled (tsc keeps decorator metadata).
  await compileProject('test/e2e/processes/tsconfig.json', WORKER);
  redis = await startTestRedis();
}, 240_000);

afterAll(async () => {
  await redis?.stop();
});

interface Worker {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

let workers = 0;

/** Starts a worker process; everything it writes is recorded for the suite's no-secret check. */
function startWorker(env: Record<string, string>): Worker {
  workers += 1;
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, NODE_OPTIONS: '', GUURU_SECRET: SECRET, ...env },
  });
  const output = captureChildOutput(child, `worker ${workers}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('queue mode across processes', () => {
  it('processes a delivery whose worker was killed mid-handler once a new worker starts, exactly once', async () => {
    const runLog = join(mkdtempSync(join(tmpdir(), 'webhooks-runs-')), 'runs.log');
    writeFileSync(runLog, '');
    const lines = (): string[] => readFileSync(runLog, 'utf8').split('\n').filter(Boolean);
    const queueName = 'crash-test';
    const env = {
      REDIS_URL: redis.url,
      QUEUE_NAME: queueName,
      RUN_LOG: runLog,
      HANDLER_MS: '3000',
    };

    // The web process only enqueues; its workers run elsewhere.
    const web = await startTestApp(
      WebhooksModule.forRoot({
        sources: { guuru: { secret: SECRET } },
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: queueName, worker: false },
        deliveries: { store: 'redis', connection: redis.url },
      }),
      { handlers: 'guuru-only' },
    );
    const first = startWorker(env);
    let second: Worker | undefined;
    try {
      await eventually(() => first.output().includes('worker ready'), 20_000, 'first worker start');
      const signed = web.app.get(WebhookSigner).sign('guuru', { question: 'survive a crash' });
      const response = await deliver(web.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
      const deliveryId = response.body.deliveryId as string;

      await eventually(() => lines().some((line) => line.startsWith(`start ${deliveryId}`)), 20_000, 'handler start');
      first.child.kill('SIGKILL');
      await first.exited;
      expect(lines().some((line) => line.startsWith('done'))).toBe(false);

      const restartedAt = Date.now();
      second = startWorker(env);
      await eventually(
        () => lines().some((line) => line.startsWith(`done ${deliveryId}`)),
        90_000,
        'processing after the crash',
      );
      expect(Date.now() - restartedAt).toBeLessThan(90_000);
      // Once no job is active, waiting or delayed, nothing can run again: then count.
      await waitForQueueIdle(redis.url, queueName);
      expect(lines().filter((line) => line.startsWith(`done ${deliveryId}`))).toHaveLength(1);
      // Started by the killed worker, then once more by the second: never a third time.
      expect(lines().filter((line) => line.startsWith(`start ${deliveryId}`))).toHaveLength(2);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
      await web.app.close();
    }
  }, 150_000);

  it('finishes the in-flight handler before a worker exits on SIGTERM (enableShutdownHooks)', async () => {
    const runLog = join(mkdtempSync(join(tmpdir(), 'webhooks-runs-')), 'runs.log');
    writeFileSync(runLog, '');
    const queueName = 'graceful-test';
    const web = await startTestApp(
      WebhooksModule.forRoot({
        sources: { guuru: { secret: SECRET } },
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: queueName, worker: false },
      }),
      { handlers: 'guuru-only' },
    );
    const worker = startWorker({ REDIS_URL: redis.url, QUEUE_NAME: queueName, RUN_LOG: runLog, HANDLER_MS: '1500' });
    try {
      await eventually(() => worker.output().includes('worker ready'), 20_000, 'worker start');
      const signed = web.app.get(WebhookSigner).sign('guuru', { question: 'finish first' });
      await deliver(web.app.getHttpServer() as App, '/webhooks/guuru', signed).expect(200);
      await eventually(() => readFileSync(runLog, 'utf8').includes('start'), 20_000, 'handler start');
      worker.child.kill('SIGTERM');
      const code = await worker.exited;
      expect(readFileSync(runLog, 'utf8')).toMatch(/^start .*\ndone .*\n$/);
      expect(code === 0 || code === null).toBe(true);
    } finally {
      worker.child.kill('SIGKILL');
      await web.app.close();
    }
  }, 60_000);

  it("records the worker process's own output and Nest log lines, for the suite's no-secret check", async () => {
    const worker = startWorker({ REDIS_URL: redis.url, QUEUE_NAME: 'log-capture' });
    try {
      await eventually(() => worker.output().includes('worker ready'), 20_000, 'worker start');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const recorded = capturedLogs()
      .split('\n')
      .filter((line) => line.startsWith(`[worker ${workers}] `));
    // Its console output and the lines its Nest logger writes at `log` level.
    expect(recorded.some((line) => line.includes('worker ready'))).toBe(true);
    expect(recorded.some((line) => line.includes('WebhooksModule dependencies initialized'))).toBe(true);
  }, 30_000);

  it('exits non-zero within 20 s, naming Redis, when queue mode cannot reach Redis', async () => {
    const closedPort = await freePort();
    const startedAt = Date.now();
    const worker = startWorker({ REDIS_URL: `redis://127.0.0.1:${closedPort}`, QUEUE_NAME: 'unreachable' });
    const timeout = setTimeout(() => worker.child.kill('SIGKILL'), 25_000);
    const code = await worker.exited;
    clearTimeout(timeout);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(worker.output()).toContain(`Redis at 127.0.0.1:${closedPort} is unreachable`);
  }, 30_000);
});

describe('Redis restarted while the app is idle', () => {
  it('reconnects and accepts deliveries again within 15 s', async () => {
    const app = await startTestApp(
      WebhooksModule.forRoot({
        sources: { guuru: { secret: SECRET } },
        processing: 'queue',
        queue: { jobSigningKey: SECRETS.jobSigning, connection: redis.url, name: 'restart-test' },
        deliveries: { store: 'redis', connection: redis.url },
      }),
      { handlers: 'guuru-only' },
    );
    try {
      const signer = app.app.get(WebhookSigner);
      const server = app.app.getHttpServer() as App;
      await deliver(server, '/webhooks/guuru', signer.sign('guuru', { question: 'before' })).expect(200);
      await redis.stop();
      await redis.start();
      const restartedAt = Date.now();
      let status = 0;
      for (let attempt = 0; status !== 200 && Date.now() - restartedAt < 15_000; attempt += 1) {
        const response = await deliver(
          server,
          '/webhooks/guuru',
          signer.sign('guuru', { question: `after ${attempt}` }),
        );
        status = response.status;
        if (status !== 200) {
          // Until Redis is back, the delivery is refused with 503, never lost as a 200.
          expect(status).toBe(503);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      expect(status).toBe(200);
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      // The accepted delivery is handled by the in-process worker, which reconnected too.
      await eventually(
        () =>
          app.calls
            .of('guuru')
            .some(
              (call) =>
                call.payload instanceof Object &&
                (call.payload as { question?: string }).question?.startsWith('after') === true,
            ),
        15_000,
        'handled after the restart',
      );
    } finally {
      await app.app.close();
    }
  }, 40_000);
});
