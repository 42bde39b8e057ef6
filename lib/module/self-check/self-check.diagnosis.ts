import { isDeepStrictEqual } from 'node:util';
import type { SelfCheckSighting } from './self-check.probe.js';

/** The HTTP answer the self-check got for one of its deliveries. */
export interface SelfCheckAnswer {
  readonly status: number;
  /** The module's rejection reason, when the module itself answered with one. */
  readonly reason: string | undefined;
}

/** What the self-check found wrong with one content type: what happened, and the fix. */
export interface SelfCheckFinding {
  readonly contentType: string;
  readonly problem: string;
  readonly fix: string;
}

const RAW_BODY_FIX =
  'create the app with `{ rawBody: true }` (NestFactory.create(AppModule, { rawBody: true }), ' +
  'or NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })), ' +
  'and register no body parser of your own that runs first without keeping the raw bytes';

/**
 * Why the bytes the verifier saw differ from those sent, or why it saw none:
 * `undefined` when they are byte-for-byte the same.
 */
export function diagnose(
  contentType: string,
  sent: Buffer,
  answer: SelfCheckAnswer,
  sighting: SelfCheckSighting | undefined,
  routePath: string,
): SelfCheckFinding | undefined {
  const finding = (problem: string, fix: string): SelfCheckFinding => ({ contentType, problem, fix });
  if (sighting) {
    if (sighting.bytes.equals(sent) && sighting.signatureMatches) return undefined;
    return changedBytes(sent, sighting.bytes, finding);
  }
  if (answer.reason === 'raw_body_unavailable') {
    return finding(
      'the body was parsed before the webhook route, and its raw bytes (rawBody) were not kept',
      RAW_BODY_FIX,
    );
  }
  if (answer.reason === 'body_too_large') {
    return finding(`maxBodyBytes is below the self-check's ${sent.length} bytes`, 'raise maxBodyBytes');
  }
  if (answer.reason !== undefined) {
    return finding(
      `the webhook route refused it (${answer.status}, reason ${answer.reason})`,
      'see the log line above',
    );
  }
  return unreached(answer.status, sent.length, routePath, finding);
}

function changedBytes(
  sent: Buffer,
  seen: Buffer,
  finding: (problem: string, fix: string) => SelfCheckFinding,
): SelfCheckFinding {
  const sameJson =
    isDeepStrictEqual(jsonOrUndefined(sent), jsonOrUndefined(seen)) && jsonOrUndefined(sent) !== undefined;
  if (sameJson) {
    return finding(
      `the verifier saw the same JSON written differently (${seen.length} bytes instead of ${sent.length}): ` +
        'something re-serialised the parsed body',
      'remove the middleware or parser that rebuilds the body or req.rawBody from the parsed object; ' +
        'signatures cover the exact bytes the sender wrote',
    );
  }
  if (seen.length < sent.length && sent.subarray(0, seen.length).equals(seen)) {
    return finding(
      `the verifier saw only the first ${seen.length} of ${sent.length} bytes`,
      'something ahead of the webhook route cuts bodies short: a proxy or body parser limit',
    );
  }
  return finding(
    `the verifier saw ${seen.length} bytes that differ from the ${sent.length} sent (first difference at byte ${firstDifference(sent, seen)})`,
    'a middleware, a body parser or a proxy rewrites request bodies before the webhook route; let the exact bytes through',
  );
}

function unreached(
  status: number,
  size: number,
  routePath: string,
  finding: (problem: string, fix: string) => SelfCheckFinding,
): SelfCheckFinding {
  if (status === 413) {
    return finding(
      `a body parser with a size limit below ${size} bytes runs before the webhook route (it answered 413)`,
      "raise that parser's limit (e.g. express.json({ limit: '5mb' }) or Fastify's bodyLimit), " +
        'or keep it away from the webhook route',
    );
  }
  if (status === 401 || status === 403) {
    return finding(
      `something refused the request before the webhook guard ran (${status}), such as a global authentication guard`,
      'give the webhook route the metadata your guard skips: WebhooksModule.forRoot({ routeMetadata: { isPublic: true } })',
    );
  }
  if (status === 404) {
    return finding(
      `POST ${routePath} was not found (404)`,
      'the self-check knows the global prefix but not versioning or RouterModule paths; check how the route is mounted',
    );
  }
  if (status === 415) {
    return finding('no body parser accepts this content type (415)', 'register a content-type parser for it');
  }
  return finding(
    `it was answered ${status} before the webhook route could verify it`,
    'a middleware, body parser or guard ahead of the webhook route refused it; let the route through',
  );
}

function jsonOrUndefined(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function firstDifference(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return index;
  return length;
}

/** The one message that reports every finding. */
export function selfCheckMessage(findings: readonly SelfCheckFinding[]): string {
  const parts = findings.map((f) => `${f.contentType}: ${f.problem}. Fix: ${f.fix}.`);
  return `Webhook self-check failed: the webhook route does not see the exact bytes senders sign. ${parts.join(' ')}`;
}
