import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { WebhookSigner } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { signSampleDeliveries } from './payloads.js';
import { sampleConfig } from './sample.config.js';

/**
 * Signs one realistic delivery per sender with the library's own signer, sends each
 * to the running sample, and prints the status and what the handler received.
 */
async function main(): Promise<void> {
  const context = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const signer = context.get(WebhookSigner);
  const base = process.env.SAMPLE_URL ?? `http://127.0.0.1:${sampleConfig.port}`;
  const deliveries = signSampleDeliveries(signer);
  await context.close();

  let failures = 0;
  for (const [source, { headers, body }] of deliveries) {
    const response = await fetch(`${base}/webhooks/${source}`, { method: 'POST', headers, body });
    const answer = (await response.json()) as { deliveryId?: string };
    if (response.status !== 200) failures += 1;
    const received = await lastReceived(base, answer.deliveryId);
    console.log(`${source.padEnd(10)} ${response.status}  ${received ?? JSON.stringify(answer)}`);
  }
  console.log('\nFrom GET /metrics:');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const line of metrics.split('\n').filter((l) => l.startsWith('webhook_deliveries_total{'))) console.log(line);
  if (failures > 0) {
    console.error(`${failures} deliveries were not accepted.`);
    process.exitCode = 1;
  }
}

async function lastReceived(base: string, deliveryId: string | undefined): Promise<string | undefined> {
  if (!deliveryId) return undefined;
  const entries = (await (await fetch(`${base}/received`)).json()) as {
    deliveryId: string;
    handler: string;
    payloadType: string;
    summary: string;
    attachments: string[];
  }[];
  const entry = entries.findLast((candidate) => candidate.deliveryId === deliveryId);
  if (!entry) return undefined;
  const attachments = entry.attachments.length > 0 ? ` + ${entry.attachments.join(', ')}` : '';
  return `${entry.handler}(${entry.payloadType}): ${entry.summary}${attachments}`;
}

main().catch((error: unknown) => {
  const cause = error instanceof Error && 'cause' in error ? ` (${String(error.cause)})` : '';
  console.error(`Could not reach the sample: ${String(error)}${cause}. Start it first with: npm run sample`);
  process.exitCode = 1;
});
