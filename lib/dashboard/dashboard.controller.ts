import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { WebhookOutcome } from '../module/webhook-events.js';
import { DashboardAuthGuard } from './dashboard-auth.guard.js';
import { isCrossSite, isHttps } from './dashboard-csrf.js';
import { DashboardPages } from './dashboard-pages.service.js';
import type {
  DashboardDeadLetters,
  DashboardDeliveryDetail,
  DashboardDeliveryList,
  DashboardOverview,
  DashboardReplay,
} from './dashboard.models.js';
import {
  deadLettersView,
  deliveryView,
  listView,
  overviewView,
  replayView,
  type ViewContext,
} from './dashboard.views.js';

type RequestHeaders = Record<string, string | string[] | undefined>;
type Page =
  DashboardOverview | DashboardDeliveryList | DashboardDeliveryDetail | DashboardDeadLetters | DashboardReplay;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** What a dashboard id may look like (the memory store's, or the Redis store's attempt ids); anything else is a 404 at once. */
const RECORD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The dashboard's routes under `path`, each guarded by `authorize` first. Every page
 * answers HTML, or its JSON twin for `Accept: application/json` or `?format=json`.
 * Its static segments are matched before the webhook routes' `:source` (Fastify prefers
 * static segments; on Express, `WebhooksModule` registers its catch-all routes last).
 */
export function createDashboardController(path: string): Type<unknown> {
  @Controller(path)
  @UseGuards(DashboardAuthGuard)
  class WebhooksDashboardController {
    constructor(
      readonly pages: DashboardPages,
      readonly adapterHost: HttpAdapterHost,
    ) {}

    @Get()
    async overview(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Query('format') format?: string,
    ): Promise<Page | string> {
      const model = await this.pages.overview();
      return this.answer(request, response, headers, format, 0, model, (context) => overviewView(context, model));
    }

    @Get('deliveries')
    async deliveries(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Query() query: Record<string, unknown>,
    ): Promise<Page | string> {
      const outcome = text(query.outcome);
      const model = await this.pages.list({
        source: text(query.source),
        outcome: this.pages.outcomes.includes(outcome as WebhookOutcome) ? (outcome as WebhookOutcome) : undefined,
        reason: text(query.reason),
      });
      return this.answer(request, response, headers, text(query.format), 1, model, (context) =>
        listView(context, model, this.pages.outcomes),
      );
    }

    @Get('deliveries/:id')
    async delivery(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Param('id') id: string,
      @Query('format') format?: string,
    ): Promise<Page | string> {
      const model = RECORD_ID.test(id) ? await this.pages.delivery(id) : undefined;
      if (!model) throw new NotFoundException('No such delivery in the dashboard (it may have been evicted).');
      return this.answer(request, response, headers, format, 2, model, (context) =>
        deliveryView(context, model, this.pages.settings.showBodies),
      );
    }

    @Get('dead-letters')
    async deadLetters(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Query('format') format?: string,
    ): Promise<Page | string> {
      const csrf = this.pages.csrf.issue(text(headers.cookie), isHttps(request, headers));
      if (csrf.setCookie) this.adapter().setHeader(response, 'set-cookie', csrf.setCookie);
      const model = await this.pages.deadLetters(csrf);
      return this.answer(request, response, headers, format, 1, model, (context) => deadLettersView(context, model));
    }

    @Post('dead-letters/replay')
    @HttpCode(HttpStatus.OK)
    async replayAll(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Body() body: unknown,
      @Query('format') format?: string,
    ): Promise<Page | string> {
      const fields = this.checkForgery(headers, body);
      const model = await this.pages.replay({ source: text(fields.source) ?? undefined });
      return this.answer(request, response, headers, format, 2, model, (context) => replayView(context, model));
    }

    @Post('dead-letters/:id/replay')
    @HttpCode(HttpStatus.OK)
    async replayOne(
      @Req() request: object,
      @Res({ passthrough: true }) response: object,
      @Headers() headers: RequestHeaders,
      @Param('id') id: string,
      @Body() body: unknown,
      @Query('format') format?: string,
    ): Promise<Page | string> {
      this.checkForgery(headers, body);
      const model = await this.pages.replay({ id });
      return this.answer(request, response, headers, format, 3, model, (context) => replayView(context, model));
    }

    /** 403 unless the request carries its session's token and no browser says it came from another site. */
    checkForgery(headers: RequestHeaders, body: unknown): Record<string, unknown> {
      const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const token = text(fields.csrf) ?? text(headers['x-csrf-token']);
      if (isCrossSite(headers) || !this.pages.csrf.verify(text(headers.cookie), token)) {
        throw new ForbiddenException('Missing or invalid anti-forgery token: replay from the dashboard page.');
      }
      return fields;
    }

    /**
     * The page as JSON or HTML, with the security headers. `depth` is how many segments the
     * route lies below the dashboard root, so links are built from the URL the request came by.
     */
    answer(
      request: object,
      response: object,
      headers: RequestHeaders,
      format: string | undefined,
      depth: number,
      model: Page,
      view: (context: ViewContext) => string,
    ): Page | string {
      const adapter = this.adapter();
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(response, name, value);
      if (wantsJson(headers, format)) {
        adapter.setHeader(response, 'content-type', 'application/json; charset=utf-8');
        return model;
      }
      adapter.setHeader(response, 'content-type', 'text/html; charset=utf-8');
      const segments = pathOf(String(adapter.getRequestUrl(request) ?? '')).split('/');
      return view({ base: segments.slice(0, segments.length - depth).join('/') });
    }

    adapter(): NonNullable<HttpAdapterHost['httpAdapter']> {
      return this.adapterHost.httpAdapter;
    }
  }
  return WebhooksDashboardController;
}

/**
 * The request's path, for building links: a request in absolute form (`GET http://host/…`) must not put
 * its host into the page's links, and a doubled leading slash would make them protocol-relative.
 */
function pathOf(url: string): string {
  return url
    .split('?')[0]!
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/^\/{2,}/, '/')
    .replace(/\/+$/, '');
}

function wantsJson(headers: RequestHeaders, format: string | undefined): boolean {
  if (format !== undefined) return format === 'json';
  const accept = text(headers.accept) ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** A single text value of a query, header or form field. */
function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
