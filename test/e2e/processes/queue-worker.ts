/**
 * A separate worker process, as users deploy one for queue mode: an application
 * context (no HTTP) with the same WebhooksModule configuration and the handlers.
 * Driven by the queue-process tests through environment variables:
 * REDIS_URL, QUEUE_NAME, RUN_LOG (a file to append handler runs to), HANDLER_MS, GUURU_SECRET.
 * It logs at every level, and the tests record its output, so the suite's no-secret check
 * (test/setup-after-env.ts) covers the worker's log lines too.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { appendFileSync } from 'node:fs';
import { WebhookHandler, WebhooksModule, type WebhookContext } from '../../../lib/index.js';
import { SECRETS } from '../fixtures/secrets.js';

const runLog = process.env.RUN_LOG ?? '/dev/null';
const handlerMs = Number(process.env.HANDLER_MS ?? 0);

@Injectable()
class SlowHandlers {
  @WebhookHandler('guuru')
  async onChat(_chat: object, context: WebhookContext): Promise<void> {
    appendFileSync(runLog, `start ${context.deliveryId} ${process.pid}\n`);
    await new Promise((resolve) => setTimeout(resolve, handlerMs));
    appendFileSync(runLog, `done ${context.deliveryId} ${process.pid}\n`);
  }
}

@Module({
  imports: [
    WebhooksModule.forRoot({
      sources: { guuru: { secret: process.env.GUURU_SECRET ?? SECRETS.guuru } },
      processing: 'queue',
      queue: {
        jobSigningKey: SECRETS.jobSigning,
        connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        name: process.env.QUEUE_NAME,
      },
      deliveries: { store: 'redis', connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    }),
  ],
  providers: [SlowHandlers],
})
class WorkerModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: ['log', 'error', 'warn', 'debug', 'verbose'],
  });
  app.enableShutdownHooks();
  console.log('worker ready');
}

void bootstrap();
