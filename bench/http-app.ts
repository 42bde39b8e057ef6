// The one Nest app of the http benchmarks (bench:http, bench:dashboard), on Express or Fastify. Its routes:
//   POST /webhooks/guuru     the full module: verify, de-duplicate, parse, validate GuuruChatDto, dispatch to a handler
//   POST /manual/guuru       what users write by hand: an HMAC guard on req.rawBody + ValidationPipe (GuuruChatDto)
//   POST /webhooks/standard  the full module on a Standard Webhooks source, validating the small SmallEventDto
//                            (only with `standard: true`, as bench:http runs it)
//   POST /manual/standard    a hand-written Standard Webhooks guard + ValidationPipe (SmallEventDto)
//   POST /bare               a route that does nothing
// The hand-written guards are written for the platform the app runs on (an Express or a Fastify request), as a
// user of that platform writes them; both platforms' guards do the same work, in the same shared functions.
import {
  Body,
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  UnauthorizedException,
  UseGuards,
  ValidationPipe,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type RawBodyRequest,
  type Type,
} from '@nestjs/common';
import type { Request } from 'express';
import type { FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhooksDashboardModule, type WebhookDashboardRequest } from '../lib/entries/dashboard.js';
import { GuuruChatDto, WebhookHandler, WebhooksModule, type WebhookContext } from '../lib/index.js';
import { GUURU_SECRET, STANDARD_KEY, STANDARD_SECRET } from './http-senders.js';
import { SmallEventDto } from './small-event.dto.js';

export { GUURU_SECRET, STANDARD_SECRET } from './http-senders.js';
/** The header, and its value, with which the benchmark reads the dashboard's JSON pages. */
export const DASHBOARD_TOKEN_HEADER = 'x-bench-dashboard';
export const DASHBOARD_TOKEN = 'bench-dashboard-3c9a';

export type Platform = 'express' | 'fastify';

/** How often each handler ran, and whether it got what it should. */
@Injectable()
export class HandlerRuns {
  /** The module's Guuru handler. */
  module = 0;
  /** The hand-written Guuru route. */
  manual = 0;
  /** The module's Standard Webhooks handler. */
  moduleStandard = 0;
  /** The hand-written Standard Webhooks route. */
  manualStandard = 0;
  /** Runs whose argument was not a validated DTO instance (or had no delivery id): must stay 0. */
  wrongArgument = 0;

  check(chat: unknown, deliveryId = 'n/a'): void {
    if (!(chat instanceof GuuruChatDto) || typeof chat.question !== 'string' || !chat.id || !deliveryId) {
      this.wrongArgument += 1;
    }
  }

  checkEvent(event: unknown, deliveryId = 'n/a'): void {
    if (
      !(event instanceof SmallEventDto) ||
      typeof event.type !== 'string' ||
      typeof event.data?.note !== 'string' ||
      !deliveryId
    ) {
      this.wrongArgument += 1;
    }
  }

  /** The counters as a plain object, for the benchmark process. */
  snapshot(): HandlerCounts {
    const { module, manual, moduleStandard, manualStandard, wrongArgument } = this;
    return { module, manual, moduleStandard, manualStandard, wrongArgument };
  }
}

export type HandlerCounts = Pick<
  HandlerRuns,
  'module' | 'manual' | 'moduleStandard' | 'manualStandard' | 'wrongArgument'
>;

/** The library's way: a handler method, nothing else. */
@Injectable()
export class ChatHandlers {
  constructor(private readonly runs: HandlerRuns) {}

  @WebhookHandler('guuru')
  onChat(chat: GuuruChatDto, context: WebhookContext): void {
    this.runs.check(chat, context.deliveryId);
    this.runs.module += 1;
  }
}

/** The library's way, for the Standard Webhooks source and the small DTO. */
@Injectable()
export class StandardEventHandlers {
  constructor(private readonly runs: HandlerRuns) {}

  @WebhookHandler('standard')
  onEvent(event: SmallEventDto, context: WebhookContext): void {
    this.runs.checkEvent(event, context.deliveryId);
    this.runs.moduleStandard += 1;
  }
}

// ---- What a user writes by hand -------------------------------------------------------------------------------

const GUURU_KEY = Buffer.from(GUURU_SECRET, 'utf8');

/** Guuru: hex HMAC-SHA256 of the raw body in `x-guuru-hmac-sha256`, compared in constant time. */
function checkGuuruSignature(headers: IncomingHttpHeaders, rawBody: Buffer | undefined): void {
  const signature = headers['x-guuru-hmac-sha256'];
  if (typeof signature !== 'string' || !rawBody) throw new UnauthorizedException('missing signature');
  const expected = createHmac('sha256', GUURU_KEY).update(rawBody).digest();
  const received = Buffer.from(signature, 'hex');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    throw new UnauthorizedException('invalid signature');
  }
}

/** The Standard Webhooks replay window, in seconds. */
const STANDARD_TOLERANCE_SECONDS = 300;

/**
 * Standard Webhooks, as its specification and reference library check it: the timestamp within 300 s of now, then
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with the base64-decoded `whsec_` key, base64, compared in
 * constant time with each `v1,<base64>` entry of `webhook-signature`.
 */
function checkStandardSignature(headers: IncomingHttpHeaders, rawBody: Buffer | undefined): void {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string' || !rawBody) {
    throw new UnauthorizedException('missing headers');
  }
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(Date.now() / 1000 - seconds) > STANDARD_TOLERANCE_SECONDS) {
    throw new UnauthorizedException('timestamp outside the tolerance');
  }
  const expected = Buffer.from(
    createHmac('sha256', STANDARD_KEY).update(`${id}.${timestamp}.`).update(rawBody).digest('base64'),
  );
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || signature === undefined) continue;
    const received = Buffer.from(signature);
    if (received.length === expected.length && timingSafeEqual(received, expected)) return;
  }
  throw new UnauthorizedException('invalid signature');
}

/** Express: the Guuru guard. */
@Injectable()
export class GuuruHmacGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<Request>>();
    checkGuuruSignature(request.headers, request.rawBody);
    return true;
  }
}

/** Express: the Standard Webhooks guard. */
@Injectable()
export class StandardWebhooksGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<Request>>();
    checkStandardSignature(request.headers, request.rawBody);
    return true;
  }
}

/** Fastify: the Guuru guard. */
@Injectable()
export class FastifyGuuruHmacGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    checkGuuruSignature(request.headers, request.rawBody);
    return true;
  }
}

/** Fastify: the Standard Webhooks guard. */
@Injectable()
export class FastifyStandardWebhooksGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    checkStandardSignature(request.headers, request.rawBody);
    return true;
  }
}

/** The hand-written routes, guarded by the platform's guards. */
function handWrittenController(guuruGuard: Type<CanActivate>, standardGuard: Type<CanActivate>): Type {
  @Controller('manual')
  class HandWrittenController {
    constructor(private readonly runs: HandlerRuns) {}

    @Post('guuru')
    @HttpCode(200)
    @UseGuards(guuruGuard)
    receive(@Body(new ValidationPipe({ whitelist: true, transform: true })) chat: GuuruChatDto): { received: true } {
      this.runs.check(chat);
      this.runs.manual += 1;
      return { received: true };
    }

    @Post('standard')
    @HttpCode(200)
    @UseGuards(standardGuard)
    receiveEvent(@Body(new ValidationPipe({ whitelist: true, transform: true })) event: SmallEventDto): {
      received: true;
    } {
      this.runs.checkEvent(event);
      this.runs.manualStandard += 1;
      return { received: true };
    }
  }
  return HandWrittenController;
}

const EXPRESS_HAND_WRITTEN = handWrittenController(GuuruHmacGuard, StandardWebhooksGuard);
const FASTIFY_HAND_WRITTEN = handWrittenController(FastifyGuuruHmacGuard, FastifyStandardWebhooksGuard);

@Controller('bare')
export class BareController {
  @Post()
  @HttpCode(200)
  receive(): void {}
}

// ---- The app ---------------------------------------------------------------------------------------------------

/** What one app process is. */
export interface BenchAppOptions {
  readonly platform: Platform;
  /** The Standard Webhooks source (`/webhooks/standard`) and its handler, as bench:http runs it. */
  readonly standard: boolean;
  /** The deliveries dashboard (memory store, 1,000 entries) recording every delivery (bench:dashboard). */
  readonly dashboard: boolean;
  /**
   * How long the memory delivery store remembers a handled delivery, in seconds; 0 for the default (a day).
   * Guuru sends no timestamp, so by default that is a day, and the store refuses (503) new deliveries once it holds
   * `maxEntries` it may not forget yet: a benchmark that sends more distinct deliveries than that sets it
   * (bench:dashboard: 30 s; bench:http: 300 s, the Standard Webhooks window, which it may not be shorter than). The
   * Guuru source's replay window, which the TTL may not be shorter than either, is then 0: without a timestamp it
   * checks nothing.
   */
  readonly deliveryTtlSeconds: number;
  /** The memory store's bound with a TTL (default 500,000). */
  readonly maxEntries: number;
}

/**
 * The options from the environment: BENCH_PLATFORM (`express`, the default, or `fastify`), BENCH_STANDARD=1,
 * BENCH_DASHBOARD=1, BENCH_DELIVERY_TTL_SECONDS, BENCH_MAX_ENTRIES.
 */
export function benchAppOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchAppOptions {
  const platform = env.BENCH_PLATFORM ?? 'express';
  if (platform !== 'express' && platform !== 'fastify') {
    throw new Error(`BENCH_PLATFORM must be express or fastify, not "${platform}".`);
  }
  return {
    platform,
    standard: env.BENCH_STANDARD === '1',
    dashboard: env.BENCH_DASHBOARD === '1',
    deliveryTtlSeconds: Number(env.BENCH_DELIVERY_TTL_SECONDS ?? 0),
    maxEntries: Number(env.BENCH_MAX_ENTRIES ?? 500_000),
  };
}

@Module({})
class BenchAppRoot {}

/** The app's module for `options`. */
export function benchAppModule(options: BenchAppOptions): DynamicModule {
  const ttl = options.deliveryTtlSeconds;
  const sources = {
    guuru: ttl > 0 ? { secret: GUURU_SECRET, toleranceSeconds: 0 } : { secret: GUURU_SECRET },
    ...(options.standard ? { standard: { provider: 'standard-webhooks' as const, secret: STANDARD_SECRET } } : {}),
  };
  return {
    module: BenchAppRoot,
    imports: [
      WebhooksModule.forRoot({
        sources,
        ...(ttl > 0 ? { deliveries: { ttlSeconds: ttl, maxEntries: options.maxEntries } } : {}),
      }),
      // The same app with the deliveries dashboard (memory store, 1,000 entries) recording every delivery; its
      // pages answer only the benchmark, which reads the counts to prove every delivery was recorded.
      ...(options.dashboard
        ? [
            WebhooksDashboardModule.forRoot({
              authorize: (request: WebhookDashboardRequest) =>
                request.headers[DASHBOARD_TOKEN_HEADER] === DASHBOARD_TOKEN,
            }),
          ]
        : []),
    ],
    controllers: [BareController, options.platform === 'fastify' ? FASTIFY_HAND_WRITTEN : EXPRESS_HAND_WRITTEN],
    providers: [
      HandlerRuns,
      ChatHandlers,
      ...(options.standard ? [StandardEventHandlers] : []),
      ...(options.platform === 'fastify'
        ? [FastifyGuuruHmacGuard, FastifyStandardWebhooksGuard]
        : [GuuruHmacGuard, StandardWebhooksGuard]),
    ],
  };
}

/** The app as the environment describes it (what bench:dashboard runs). */
export const BenchAppModule: DynamicModule = benchAppModule(benchAppOptionsFromEnv());
