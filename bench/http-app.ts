// The one Nest app of the http benchmark: three routes that share everything else.
//   POST /webhooks/guuru  the full module: verify, de-duplicate, parse, validate GuuruChatDto, dispatch to a handler
//   POST /manual/guuru    what users write today: a hand-written HMAC guard on req.rawBody + ValidationPipe
//   POST /bare            a route that does nothing
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
  type ExecutionContext,
  type RawBodyRequest,
} from '@nestjs/common';
import type { Request } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhooksDashboardModule, type WebhookDashboardRequest } from '../lib/entries/dashboard.js';
import { GuuruChatDto, WebhookHandler, WebhooksModule, type WebhookContext } from '../lib/index.js';

export const GUURU_SECRET = 'guuru-bench-secret-5d1f0b7e';
/** The header, and its value, with which the benchmark reads the dashboard's JSON pages. */
export const DASHBOARD_TOKEN_HEADER = 'x-bench-dashboard';
export const DASHBOARD_TOKEN = 'bench-dashboard-3c9a';

/** How often each handler ran, and whether it got what it should. */
@Injectable()
export class HandlerRuns {
  module = 0;
  manual = 0;
  /** Runs whose argument was not a validated `GuuruChatDto` (or had no delivery id): must stay 0. */
  wrongArgument = 0;

  check(chat: unknown, deliveryId = 'n/a'): void {
    if (!(chat instanceof GuuruChatDto) || typeof chat.question !== 'string' || !chat.id || !deliveryId) {
      this.wrongArgument += 1;
    }
  }
}

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

/** A hand-written check of Guuru's signature: hex HMAC-SHA256 of the raw body. */
@Injectable()
export class GuuruHmacGuard implements CanActivate {
  private readonly key = Buffer.from(GUURU_SECRET, 'utf8');

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<Request>>();
    const signature = request.headers['x-guuru-hmac-sha256'];
    if (typeof signature !== 'string' || !request.rawBody) throw new UnauthorizedException('missing signature');
    const expected = createHmac('sha256', this.key).update(request.rawBody).digest();
    const received = Buffer.from(signature, 'hex');
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      throw new UnauthorizedException('invalid signature');
    }
    return true;
  }
}

@Controller('manual')
export class HandWrittenController {
  constructor(private readonly runs: HandlerRuns) {}

  @Post('guuru')
  @HttpCode(200)
  @UseGuards(GuuruHmacGuard)
  receive(@Body(new ValidationPipe({ whitelist: true, transform: true })) chat: GuuruChatDto): { received: true } {
    this.runs.check(chat);
    this.runs.manual += 1;
    return { received: true };
  }
}

@Controller('bare')
export class BareController {
  @Post()
  @HttpCode(200)
  receive(): void {}
}

/**
 * BENCH_DELIVERY_TTL_SECONDS: how long the memory delivery store remembers a handled delivery. Guuru sends no
 * timestamp, so by default that is a day, and the store refuses (503) new deliveries once it holds 100,000 it may
 * not forget yet: a benchmark that sends more distinct deliveries than that sets it (bench:dashboard: 30 s). The
 * source's replay window, which the TTL may not be shorter than, is then 0: without a timestamp it checks nothing.
 */
const deliveryTtlSeconds = Number(process.env.BENCH_DELIVERY_TTL_SECONDS ?? 0);

@Module({
  imports: [
    WebhooksModule.forRoot(
      deliveryTtlSeconds > 0
        ? {
            sources: { guuru: { secret: GUURU_SECRET, toleranceSeconds: 0 } },
            deliveries: { ttlSeconds: deliveryTtlSeconds, maxEntries: 500_000 },
          }
        : { sources: { guuru: { secret: GUURU_SECRET } } },
    ),
    // BENCH_DASHBOARD=1: the same app with the deliveries dashboard (memory store, 1,000 entries) recording every
    // delivery; its pages answer only the benchmark, which reads the counts to prove every delivery was recorded.
    ...(process.env.BENCH_DASHBOARD === '1'
      ? [
          WebhooksDashboardModule.forRoot({
            authorize: (request: WebhookDashboardRequest) =>
              request.headers[DASHBOARD_TOKEN_HEADER] === DASHBOARD_TOKEN,
          }),
        ]
      : []),
  ],
  controllers: [BareController, HandWrittenController],
  providers: [HandlerRuns, ChatHandlers, GuuruHmacGuard],
})
export class BenchAppModule {}
