import { Controller, Get, Header, Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { WebhookEvents, type WebhookOutcomeEvent } from '../lib/index.js';

/**
 * Prometheus metrics built on the module's outcome events: deliveries by source and
 * outcome (and reason, for refusals and failures), and how long handling took.
 * Tenants are left out of the labels on purpose: their number has no bound.
 */
@Injectable()
export class WebhookMetrics implements OnModuleInit {
  /** Its own registry, so two apps in one process (tests) never share counters. */
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook deliveries by source and outcome (verified, rejected, duplicate, handled, failed).',
    labelNames: ['source', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly handling = new Histogram({
    name: 'webhook_handling_seconds',
    help: 'Time from a verified delivery to its handlers being done: validation plus handlers.',
    labelNames: ['source', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(private readonly events: WebhookEvents) {}

  onModuleInit(): void {
    this.events.events$.subscribe((event) => this.record(event));
  }

  private record(event: WebhookOutcomeEvent): void {
    // An unknown source's name is whatever the request said: one label value for all, or anyone could add series.
    const source = event.reason === 'unknown_source' ? '(unknown)' : event.source;
    this.deliveries.inc({ source, outcome: event.outcome, reason: event.reason ?? '' });
    if (event.outcome === 'handled' || event.outcome === 'failed') {
      const { validateMs = 0, handlersMs = 0 } = event.durations;
      this.handling.observe({ source: event.source, outcome: event.outcome }, (validateMs + handlersMs) / 1000);
    }
  }
}

/** `GET /metrics`, in Prometheus' text format. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: WebhookMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
