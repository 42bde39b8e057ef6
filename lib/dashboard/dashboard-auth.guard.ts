import {
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { DASHBOARD_LOGGER_CONTEXT, dashboardMessages } from './dashboard.messages.js';
import type { WebhookDashboardRequest } from './dashboard.options.js';
import { WEBHOOKS_DASHBOARD_SETTINGS, type DashboardSettings } from './dashboard.settings.js';

/**
 * Runs the dashboard's `authorize` before anything else on every dashboard route. A refusal,
 * or an `authorize` that throws, is a bare 401: the request learns nothing else.
 */
@Injectable()
export class DashboardAuthGuard implements CanActivate {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);

  constructor(@Inject(WEBHOOKS_DASHBOARD_SETTINGS) private readonly settings: DashboardSettings) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    let allowed = false;
    try {
      allowed = (await this.settings.authorize(context.switchToHttp().getRequest<WebhookDashboardRequest>())) === true;
    } catch (error) {
      this.logger.warn(dashboardMessages.authorizeThrew(error));
    }
    if (!allowed) throw new UnauthorizedException();
    return true;
  }
}
