import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie that carries the session's anti-forgery nonce. */
export const CSRF_COOKIE = 'webhooks_dashboard_csrf';

const NONCE = /^[A-Za-z0-9_-]{22}$/;

/** A session's anti-forgery token, and the cookie to set when the session is new. */
export interface CsrfIssue {
  readonly token: string;
  /** The `Set-Cookie` value, when the request had no valid nonce yet. */
  readonly setCookie?: string;
}

/**
 * Anti-forgery tokens of the replay forms: a random nonce in an HttpOnly, SameSite=Strict
 * cookie, and a form token that is the HMAC of that nonce under a key only the server
 * knows. Another site can neither read the token nor make one that fits the cookie.
 */
export class DashboardCsrf {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    private readonly cookiePath: string,
  ) {
    this.key =
      secret === undefined ? randomBytes(32) : createHmac('sha256', 'webhooks-dashboard-csrf').update(secret).digest();
  }

  /**
   * The token for a request's session, starting a session when it has none. Over HTTPS
   * (`secure`) the cookie is marked `Secure`, so it never travels in clear text.
   */
  issue(cookieHeader: string | undefined, secure = false): CsrfIssue {
    const nonce = nonceOf(cookieHeader);
    if (nonce) return { token: this.sign(nonce) };
    const fresh = randomBytes(16).toString('base64url');
    return {
      token: this.sign(fresh),
      setCookie: `${CSRF_COOKIE}=${fresh}; Path=${this.cookiePath}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
    };
  }

  /** Whether `token` belongs to the session of the request's cookie. */
  verify(cookieHeader: string | undefined, token: string | undefined): boolean {
    const nonce = nonceOf(cookieHeader);
    if (!nonce || typeof token !== 'string') return false;
    const expected = Buffer.from(this.sign(nonce));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.key).update(nonce).digest('base64url');
  }
}

/** Whether the browser reached the dashboard over HTTPS: TLS on this socket, or `X-Forwarded-Proto` from a proxy. */
export function isHttps(request: object, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const forwarded = headers['x-forwarded-proto'];
  if (typeof forwarded === 'string') return forwarded.split(',', 1)[0]!.trim().toLowerCase() === 'https';
  return (request as { socket?: { encrypted?: boolean } }).socket?.encrypted === true;
}

function nonceOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === CSRF_COOKIE && value !== undefined && NONCE.test(value)) return value;
  }
  return undefined;
}

/**
 * Whether the browser says the request came from another site. `Sec-Fetch-Site` decides
 * where the browser sends it (proxies rewrite `Host`, HTTP/2 has none); otherwise an `Origin`
 * whose host is not the one the client asked for (`X-Forwarded-Host` behind a proxy).
 * Requests with neither (scripts) rely on the token.
 */
export function isCrossSite(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'cross-site' || site === 'same-site';
  const origin = headers.origin;
  if (typeof origin !== 'string' || origin === '') return false;
  const forwarded = headers['x-forwarded-host'];
  const host = (typeof forwarded === 'string' ? forwarded.split(',', 1)[0]!.trim() : undefined) ?? headers.host;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
