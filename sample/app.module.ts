import { Module } from '@nestjs/common';
import { hmacProvider, WebhooksModule } from '../lib/index.js';
import { authorizeDashboard, DashboardLoginController } from './dashboard-auth.js';
import { FeedbackHandlers } from './feedback.handlers.js';
import { ReceivedController } from './received.controller.js';
import { ReceivedLog } from './received.log.js';
import { sampleConfig } from './sample.config.js';
import { MetricsController, WebhookMetrics } from './webhook-metrics.js';

/** Any HMAC sender can be declared by configuration; GitHub here. */
const github = hmacProvider({
  name: 'github',
  signatureHeader: 'X-Hub-Signature-256',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  idHeader: 'X-GitHub-Delivery',
  eventHeader: 'X-GitHub-Event',
});

@Module({
  imports: [
    WebhooksModule.forRoot({
      sources: {
        usersnap: { secret: sampleConfig.usersnapToken, toleranceSeconds: 600 },
        guuru: { secret: sampleConfig.guuruSecret },
        survicate: { secret: sampleConfig.survicateSecret, token: sampleConfig.survicateToken },
        shopsurvey: { secret: sampleConfig.shopSurveySecret },
        billing: { provider: 'standard-webhooks', secret: sampleConfig.billingSecret },
        github: { provider: github, secret: sampleConfig.githubSecret },
      },
      dashboard: { path: 'webhooks/_dashboard', authorize: authorizeDashboard },
    }),
  ],
  controllers: [ReceivedController, MetricsController, DashboardLoginController],
  providers: [FeedbackHandlers, ReceivedLog, WebhookMetrics],
})
export class AppModule {}
