import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { sampleConfig } from './sample.config.js';

async function bootstrap(): Promise<void> {
  // TRACES=console prints each delivery's OpenTelemetry spans (see tracing.ts).
  if (process.env.TRACES === 'console') await import('./tracing.js');
  // rawBody: true keeps the exact bytes of JSON and urlencoded bodies for verification.
  const app = await NestFactory.create(AppModule, { rawBody: true });
  app.enableShutdownHooks();
  await app.listen(sampleConfig.port, '127.0.0.1');
  console.log(`Sample listening on http://127.0.0.1:${sampleConfig.port}/webhooks/:source`);
  console.log('Send one signed delivery per sender with: npm run sample:send');
  console.log(`Health (terminus): http://127.0.0.1:${sampleConfig.port}/health`);
  console.log(
    `Dashboard: http://127.0.0.1:${sampleConfig.port}/dashboard-login?token=<DASHBOARD_TOKEN> (demo default: see sample.config.ts)`,
  );
}

void bootstrap();
