import { describe, expect, it } from '@jest/globals';
import {
  parseSendArgs,
  parseSignArgs,
  parseVerifyArgs,
  secretsIn,
  wantsHelp,
  wantsJson,
} from '../../lib/cli/cli-args.js';
import { CliUsageError } from '../../lib/cli/cli-usage.error.js';

const SECRET = 'args-secret-Jq71Xv';

/** The usage error a parse throws (failing the test when it does not throw one). */
function usageErrorOf(parse: () => unknown): CliUsageError {
  try {
    parse();
  } catch (error) {
    if (error instanceof CliUsageError) return error;
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('command-line arguments', () => {
  it('reads every option of send, headers lower-cased and in order', () => {
    const args = parseSendArgs(
      [
        'github',
        '--url',
        'http://localhost:3000/webhooks/github',
        '--secret',
        SECRET,
        '--event',
        'ping',
        '--payload',
        '-',
        '--header',
        'Authorization: Bearer gw-token',
        '--header',
        'X-Trace:a:b',
        '--id',
        'delivery-1',
        '--timeout',
        '2.5',
        '--json',
      ],
      {},
    );
    expect(args).toEqual({
      provider: 'github',
      secret: SECRET,
      token: undefined,
      secretVariable: undefined,
      tokenVariable: undefined,
      json: true,
      url: 'http://localhost:3000/webhooks/github',
      event: 'ping',
      payload: '-',
      headers: [
        ['authorization', 'Bearer gw-token'],
        ['x-trace', 'a:b'],
      ],
      privateKey: undefined,
      id: 'delivery-1',
      timeoutMs: 2500,
    });
  });

  it('reads the secret and the token from the environment variables named, and remembers their names', () => {
    const args = parseSignArgs(['survicate', '--secret-env', 'S', '--token-env', 'T'], { S: SECRET, T: 'tok' });
    expect(args).toMatchObject({ secret: SECRET, token: 'tok', secretVariable: 'S', tokenVariable: 'T', curl: false });
  });

  it('refuses a secret given twice, an unset or empty variable, and no credential at all', () => {
    const env = { EMPTY: '' };
    expect(
      usageErrorOf(() => parseSignArgs(['guuru', '--secret', SECRET, '--secret-env', 'S'], { S: 'x' })).message,
    ).toBe('Give --secret or --secret-env, not both.');
    const unset = usageErrorOf(() => parseSignArgs(['guuru', '--secret-env', 'NOT_SET'], env));
    expect(unset.message).toContain('NOT_SET');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret-env', 'EMPTY'], env)).message).toContain('EMPTY');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret', ''], env)).message).toBe('--secret is empty.');
    expect(usageErrorOf(() => parseSignArgs(['guuru'], env)).message).toContain('--secret-env <NAME>');
  });

  it('names the command in its usage errors, and never quotes an extra argument (it may be a misplaced secret)', () => {
    const missing = usageErrorOf(() => parseVerifyArgs(['--secret', 'x', '--request', 'r.http'], {}));
    expect(missing.command).toBe('verify');
    const extra = usageErrorOf(() => parseSignArgs(['guuru', SECRET, '--secret', 'x'], {}));
    expect(extra.message).toContain('2 arguments');
    expect(extra.message).not.toContain(SECRET);
  });

  it("turns parseArgs' own errors (unknown option, missing value, value on a flag) into usage errors", () => {
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret', 'x', '--nope'], {})).message).toContain('--nope');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret'], {})).message).toContain('--secret');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret', 'x', '--json=yes'], {})).command).toBe('sign');
  });

  it('refuses a header without a colon or with an invalid name, without quoting its value', () => {
    const error = usageErrorOf(() => parseSignArgs(['guuru', '--secret', 'x', '--header', `Bearer ${SECRET}`], {}));
    expect(error.message).toBe('--header number 1 is not "name:value" with a valid header name.');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret', 'x', '--header', 'bad name:v'], {}))).toBeInstanceOf(
      CliUsageError,
    );
  });

  it('needs --url to send, and with sign --curl', () => {
    expect(usageErrorOf(() => parseSendArgs(['guuru', '--secret', 'x'], {})).message).toContain('--url');
    expect(usageErrorOf(() => parseSignArgs(['guuru', '--secret', 'x', '--curl'], {})).message).toContain('--url');
  });

  it('reads --tolerance as seconds (0 turns the window off) and refuses anything else', () => {
    const base = ['stripe', '--secret', 'x', '--request', 'r.http'];
    expect(parseVerifyArgs(base, {}).toleranceSeconds).toBeUndefined();
    expect(parseVerifyArgs([...base, '--tolerance', '0'], {}).toleranceSeconds).toBe(0);
    expect(parseVerifyArgs([...base, '--tolerance', '86400'], {}).toleranceSeconds).toBe(86400);
    for (const bad of ['-1', 'abc', '1e3', '']) {
      expect(usageErrorOf(() => parseVerifyArgs([...base, `--tolerance=${bad}`], {})).message).toContain('--tolerance');
    }
    expect(usageErrorOf(() => parseVerifyArgs(['stripe', '--secret', 'x'], {})).message).toContain('--request');
  });

  it('finds the secrets in the arguments before parsing, in every spelling, so any output can be cleaned of them', () => {
    const env = { S: 'from-env', T: 'token-from-env' };
    expect(secretsIn(['sign', 'g', '--secret', 'a', '--token=b', '--secret-env', 'S', '--token-env=T'], env)).toEqual([
      'a',
      'b',
      'from-env',
      'token-from-env',
    ]);
    expect(secretsIn(['sign', '--secret'], env)).toEqual([]);
    expect(wantsJson(['sign', '--json'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
  });
});
