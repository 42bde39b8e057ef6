import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WebhooksDashboardModule } from '../lib/entries/dashboard.js';
import { WebhooksHealthModule } from '../lib/entries/terminus.js';
import { WebhooksModule } from '../lib/index.js';
import { authorizeDashboard, DashboardLoginController } from './dashboard-auth.js';
import { FeedbackHandlers } from './feedback.handlers.js';
import { HealthController } from './health.controller.js';
import { ReceivedController } from './received.controller.js';
import { ReceivedLog } from './received.log.js';
import { sampleConfig } from './sample.config.js';
import { MetricsController, WebhookMetrics } from './webhook-metrics.js';

@Module({
  imports: [
    WebhooksModule.forRoot({
      sources: {
        // Each source named after its sender uses that sender's preset.
        usersnap: { secret: sampleConfig.usersnapToken, toleranceSeconds: 600 },
        guuru: { secret: sampleConfig.guuruSecret },
        survicate: { secret: sampleConfig.survicateSecret, token: sampleConfig.survicateToken },
        shopsurvey: { secret: sampleConfig.shopSurveySecret },
        github: { secret: sampleConfig.githubSecret },
        stripe: { secret: sampleConfig.stripeSecret },
        slack: { secret: sampleConfig.slackSigningSecret },
        // Any other name picks its sender with `provider`.
        billing: { provider: 'standard-webhooks', secret: sampleConfig.billingSecret },
      },
    }),
    // The deliveries dashboard, a module of its own, at /webhooks/_dashboard.
    WebhooksDashboardModule.forRoot({ authorize: authorizeDashboard }),
    // GET /health (health.controller.ts): terminus with the webhooks indicator.
    TerminusModule,
    WebhooksHealthModule,
  ],
  controllers: [ReceivedController, MetricsController, DashboardLoginController, HealthController],
  providers: [FeedbackHandlers, ReceivedLog, WebhookMetrics],
})
export class AppModule {}
