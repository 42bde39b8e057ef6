// The package as users get it: receive one delivery signed by the package's own WebhookSigner and check
// that the handler got it as a validated GuuruChatDto. The same source is compiled in both apps: as ESM
// (NestJS 12, module NodeNext) and as CommonJS (NestJS 11, module commonjs, moduleResolution node).
// Also GET /health through the ./terminus entry (terminus 12 in one app, 11.0.0, the oldest allowed, in the other).
// Run by scripts/test-package.sh; exits 0 only when everything checks out.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import {
  GuuruChatDto,
  WebhookHandler,
  WebhookSigner,
  WebhooksModule,
  type WebhookContext,
} from 'nestjs-signed-webhooks';
import { signWebhook, verifyWebhook } from 'nestjs-signed-webhooks/core';
import { WebhooksDashboardModule, type WebhookDashboardRequest } from 'nestjs-signed-webhooks/dashboard';
import { WebhooksHealthIndicator, WebhooksHealthModule } from 'nestjs-signed-webhooks/terminus';

const QUESTION = 'from the packed tarball';
const handled: string[] = [];

@Injectable()
class ChatHandlers {
  @WebhookHandler('guuru')
  onChat(chat: GuuruChatDto, context: WebhookContext): void {
    const line = `HANDLED ${context.source} ${chat.question} ${chat.constructor.name}`;
    handled.push(line);
    console.log(line);
  }
}

const DASHBOARD_TOKEN = 'package-test-dashboard';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly webhooks: WebhooksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.webhooks.isHealthy('webhooks', { maxDeadLetters: 10 })]);
  }
}

@Module({
  imports: [
    WebhooksModule.forRoot({ sources: { guuru: { secret: 'package-test-secret' } } }),
    WebhooksDashboardModule.forRoot({
      authorize: (request: WebhookDashboardRequest) => request.headers['x-dashboard-token'] === DASHBOARD_TOKEN,
    }),
    TerminusModule,
    WebhooksHealthModule,
  ],
  controllers: [HealthController],
  providers: [ChatHandlers],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] });
  try {
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/webhooks/guuru`;
    const { headers, body } = app.get(WebhookSigner).sign('guuru', { question: QUESTION, rating: 5 });
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const answer = await response.text();
    console.log(`status ${response.status} ${answer}`);
    if (response.status !== 200) {
      throw new Error(`POST ${url} answered ${response.status}, expected 200: ${answer}`);
    }
    const expected = `HANDLED guuru ${QUESTION} GuuruChatDto`;
    if (!handled.includes(expected)) {
      throw new Error(`the handler did not print "${expected}"; it printed ${JSON.stringify(handled)}`);
    }
    await checkDashboard(await app.getUrl());
    await checkHealth(await app.getUrl());
    checkCore();
  } finally {
    await app.close();
  }
}

/** The `./dashboard` entry: the dashboard module's overview counts the delivery. */
async function checkDashboard(base: string): Promise<void> {
  const response = await fetch(`${base}/webhooks/_dashboard?format=json`, {
    headers: { 'x-dashboard-token': DASHBOARD_TOKEN },
    signal: AbortSignal.timeout(10_000),
  });
  const overview = (await response.json()) as { sources?: { source: string; lastHour: { handled?: number } }[] };
  const guuru = overview.sources?.find((row) => row.source === 'guuru');
  console.log(`dashboard ${response.status} guuru handled ${guuru?.lastHour.handled}`);
  if (response.status !== 200 || guuru?.lastHour.handled !== 1) throw new Error('the dashboard did not count it');
}

/** The `./terminus` entry: GET /health reports the webhooks indicator up, with the memory store. */
async function checkHealth(base: string): Promise<void> {
  const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  console.log(`health ${response.status} ${text}`);
  const webhooks = (JSON.parse(text) as { info?: { webhooks?: { status?: string; store?: { kind?: string } } } }).info
    ?.webhooks;
  if (response.status !== 200 || webhooks?.status !== 'up' || webhooks.store?.kind !== 'memory') {
    throw new Error('GET /health did not report the webhooks indicator up');
  }
}

/** The `./core` entry: sign and verify without the module. */
function checkCore(): void {
  const signed = signWebhook({ provider: 'stripe', secret: 'whsec_package', payload: { id: 'evt_1', type: 'a.b' } });
  const verified = verifyWebhook({
    provider: 'stripe',
    secret: 'whsec_package',
    headers: signed.headers,
    rawBody: signed.body,
  });
  console.log(`core verified ${verified.deliveryId} ${verified.event}`);
  if (verified.deliveryId !== 'evt_1') throw new Error('the core entry did not verify');
}

main().then(
  () => {
    console.log(
      'OK: 200, the handler ran with a GuuruChatDto, the dashboard counted it, /health up, the core verified',
    );
    process.exit(0);
  },
  (error: unknown) => {
    console.error('FAILED:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
