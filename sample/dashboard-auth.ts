import { Controller, Get, Query, Res, UnauthorizedException } from '@nestjs/common';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebhookDashboardRequest } from '../lib/entries/dashboard.js';
import { sampleConfig } from './sample.config.js';

/** The cookie a browser gets from `GET /dashboard-login?token=…`. */
const COOKIE = 'sample_dashboard';

function sameToken(given: string | undefined): boolean {
  if (!given) return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(sampleConfig.dashboardToken));
}

/**
 * The sample's `dashboard.authorize`: `Authorization: Bearer <token>` for scripts, or the
 * cookie `GET /dashboard-login?token=<token>` sets for a browser. Your app would check its
 * own session or JWT here instead (see the README).
 */
export function authorizeDashboard(request: WebhookDashboardRequest): boolean {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const cookie = (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === COOKIE)?.[1];
  return sameToken(bearer) || sameToken(cookie);
}

/** `GET /dashboard-login?token=…`: sets the dashboard cookie and opens the dashboard. */
@Controller('dashboard-login')
export class DashboardLoginController {
  @Get()
  login(@Query('token') token: string | undefined, @Res() response: Response): void {
    if (!sameToken(token)) throw new UnauthorizedException();
    response.cookie(COOKIE, sampleConfig.dashboardToken, { httpOnly: true, sameSite: 'strict', path: '/' });
    response.redirect(303, '/webhooks/_dashboard');
  }
}
