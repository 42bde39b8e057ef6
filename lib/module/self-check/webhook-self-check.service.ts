import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Server as HttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebhookConfigurationError, WebhookSelfCheckError } from '../../core/errors/index.js';
import { selfCheckModeInvalid, selfCheckNoAddress, selfCheckTimeout } from '../../core/errors/webhook.messages.js';
import { WebhookSources, type WebhookSource } from '../webhook-sources.js';
import {
  SELF_CHECK_SOURCE,
  WEBHOOKS_LOGGER_CONTEXT,
  WEBHOOKS_MODULE_OPTIONS,
  WEBHOOKS_ROUTE_PATH,
  webhookRoutePath,
} from '../webhooks.constants.js';
import type { WebhookSelfCheckMode, WebhooksModuleOptions } from '../webhooks.options.js';
import { bodyKindOf, SELF_CHECK_BODY_BYTES, selfCheckBodies, type SelfCheckBody } from './self-check.bodies.js';
import { diagnose, selfCheckMessage, type SelfCheckAnswer, type SelfCheckFinding } from './self-check.diagnosis.js';
import { SelfCheckProbe } from './self-check.probe.js';

/** The part of Nest's HTTP adapter the self-check uses. */
interface ListeningAdapter {
  listen(...args: unknown[]): unknown;
  getHttpServer(): { address(): AddressInfo | string | null } | undefined;
  close(): unknown;
}

const ANSWER_TIMEOUT_MS = 5000;

/**
 * When the application starts listening, sends one signed delivery per body kind the
 * configured senders use (JSON and urlencoded always) through the real HTTP stack to
 * the module's own route, and checks that the verifier saw exactly the bytes sent.
 * The deliveries go to the reserved `_self-check` source: no handler, store or event sees them.
 */
@Injectable()
export class WebhookSelfCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(WEBHOOKS_LOGGER_CONTEXT);
  private readonly mode: WebhookSelfCheckMode;

  constructor(
    @Inject(WEBHOOKS_MODULE_OPTIONS) options: WebhooksModuleOptions,
    @Inject(WEBHOOKS_ROUTE_PATH) private readonly routePath: string,
    private readonly sources: WebhookSources,
    private readonly adapterHost: HttpAdapterHost,
    private readonly appConfig: ApplicationConfig,
  ) {
    this.mode = options.selfCheck ?? 'warn';
    if (!['fail', 'warn', 'off'].includes(this.mode)) {
      throw new WebhookConfigurationError(selfCheckModeInvalid(this.mode));
    }
  }

  /**
   * Nest has no hook between "listening" and `app.listen()` resolving, so the
   * adapter's listen callback is wrapped: the check runs first, and in `fail` mode its
   * error becomes the rejection of `app.listen()`.
   */
  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter as unknown as ListeningAdapter | undefined;
    if (this.mode === 'off' || !adapter) return;
    const listen = adapter.listen.bind(adapter);
    adapter.listen = (...args: unknown[]) => {
      const index = args.findLastIndex((arg) => typeof arg === 'function');
      if (index === -1) return listen(...args);
      const callback = args[index] as (...callbackArgs: unknown[]) => void;
      args[index] = (...callbackArgs: unknown[]) => {
        if (callbackArgs[0] instanceof Error) return callback(...callbackArgs);
        void this.checkListening(adapter)
          .then((error) => (error ? callback(error) : callback(...callbackArgs)))
          .catch((error: unknown) => callback(error));
      };
      return listen(...args);
    };
  }

  /** Runs the check against the listening server; the error to fail start-up with, if any. */
  private async checkListening(adapter: ListeningAdapter): Promise<Error | undefined> {
    const server = adapter.getHttpServer();
    if (isHttp2(server)) {
      // Its clients speak HTTP/2 only; the check's HTTP/1.1 requests would prove nothing.
      this.logger.log('Webhook self-check skipped: the server speaks HTTP/2.');
      return undefined;
    }
    let findings: SelfCheckFinding[];
    try {
      findings = await this.run(server);
    } catch (error) {
      findings = [
        {
          contentType: 'any',
          problem: `the app could not send itself a delivery (${error instanceof Error ? error.message : String(error)})`,
          fix: "set selfCheck: 'off' if the app cannot reach its own address",
        },
      ];
    }
    if (findings.length === 0) {
      const checked = selfCheckBodies(this.bodyKinds(), 0).map((body) => body.contentType.split(';', 1)[0]);
      this.logger.log(`Webhook self-check passed: the webhook route sees the exact bytes of ${checked.join(', ')}.`);
      return undefined;
    }
    const message = selfCheckMessage(findings);
    if (this.mode === 'warn') {
      this.logger.warn(message);
      return undefined;
    }
    this.logger.error(message);
    await Promise.resolve(adapter.close()).catch(() => undefined);
    return new WebhookSelfCheckError(message);
  }

  private async run(server: ReturnType<ListeningAdapter['getHttpServer']>): Promise<SelfCheckFinding[]> {
    const address = server?.address();
    if (!server || !address) throw new WebhookConfigurationError(selfCheckNoAddress());
    const probe = new SelfCheckProbe();
    const path = this.selfCheckPath();
    const size = Math.min(SELF_CHECK_BODY_BYTES, this.sources.maxBodyBytes);
    const findings: SelfCheckFinding[] = [];
    this.sources.serveSelfCheck(probe.asSource());
    try {
      for (const body of selfCheckBodies(this.bodyKinds(), size)) {
        const answer = await send(server instanceof HttpsServer, address, path, body, probe.sign(body.kind, body.body));
        const finding = diagnose(body.contentType, body.body, answer, probe.sighting(body.kind), path);
        if (finding) findings.push(finding);
      }
    } finally {
      this.sources.serveSelfCheck(undefined);
    }
    return findings;
  }

  private selfCheckPath(): string {
    return webhookRoutePath(this.appConfig.getGlobalPrefix(), this.routePath, SELF_CHECK_SOURCE);
  }

  /** JSON and urlencoded always; multipart and text when a configured sender sends them. */
  private bodyKinds(): Set<SelfCheckBody['kind']> {
    const kinds = new Set<SelfCheckBody['kind']>(['json', 'urlencoded']);
    for (const name of this.sources.names()) {
      const kind = bodyKindOf(sampleContentType(this.sources.find(name)!));
      if (kind) kinds.add(kind);
    }
    return kinds;
  }
}

/** The content type a source's sender sends, as its provider declares it. */
function sampleContentType(source: WebhookSource): string {
  return source.provider.contentType ?? 'application/json';
}

/** Sends one self-check delivery to the app's own address and reads the answer. */
function send(
  secure: boolean,
  address: AddressInfo | string,
  path: string,
  body: SelfCheckBody,
  headers: Record<string, string>,
): Promise<SelfCheckAnswer> {
  const target =
    typeof address === 'string'
      ? { socketPath: address }
      : { host: isUnspecified(address.address) ? '127.0.0.1' : address.address, port: address.port };
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      {
        ...target,
        path,
        method: 'POST',
        agent: false,
        rejectUnauthorized: false,
        timeout: ANSWER_TIMEOUT_MS,
        headers: { ...headers, 'content-type': body.contentType, 'content-length': String(body.body.length) },
      },
      (response) => void readAnswer(response).then(resolve, reject),
    );
    request.on('timeout', () => request.destroy(new WebhookConfigurationError(selfCheckTimeout(ANSWER_TIMEOUT_MS))));
    request.on('error', reject);
    request.end(body.body);
  });
}

async function readAnswer(response: IncomingMessage): Promise<SelfCheckAnswer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  let reason: string | undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'reason' in parsed && typeof parsed.reason === 'string') {
      reason = parsed.reason;
    }
  } catch {
    // Not the module's JSON: something ahead of the route answered.
  }
  return { status: response.statusCode ?? 0, reason };
}

function isHttp2(server: unknown): boolean {
  return typeof server === 'object' && server !== null && server.constructor.name.startsWith('Http2');
}

function isUnspecified(host: string): boolean {
  return host === '::' || host === '0.0.0.0' || host === '';
}
