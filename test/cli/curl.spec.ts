import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { curlCommand, printfEscaped, shellQuote, shellWord } from '../../lib/cli/curl.js';

/** What a real POSIX shell makes of `script`. */
function sh(script: string, env: Record<string, string> = {}): Buffer {
  return execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env } });
}

const NASTY = [
  "it's",
  '$HOME `id` $(id) ${X}',
  'back\\slash \\n and "double" quotes',
  'new\nline\ttab',
  'Zoë Krüger — 日本語 🚀',
  "'''",
  '!event',
  '',
];

describe('curl command quoting', () => {
  it.each(NASTY)('a shell reads shellQuote(%j) back as exactly that text', (text) => {
    expect(sh(`printf %s ${shellQuote(text)}`).toString('utf8')).toBe(text);
  });

  it('writes a secret as a variable expansion, which the shell fills in, and never its value', () => {
    const secrets = [{ value: 's3cr3t', variable: 'WEBHOOK_SECRET' }];
    const word = shellWord("x-gitlab-token: s3cr3t; again s3cr3t's", secrets);
    expect(word).toBe(`'x-gitlab-token: '"\${WEBHOOK_SECRET}"'; again '"\${WEBHOOK_SECRET}"''\\''s'`);
    expect(word).not.toContain('s3cr3t');
    expect(sh(`printf %s ${word}`, { WEBHOOK_SECRET: 's3cr3t' }).toString()).toBe(
      "x-gitlab-token: s3cr3t; again s3cr3t's",
    );
  });

  it('writes a text body inline and each header as --header, in order', () => {
    const command = curlCommand({
      method: 'POST',
      url: 'http://localhost:3000/webhooks/guuru',
      headers: [
        ['content-type', 'application/json'],
        ['x-empty', ''],
      ],
      body: Buffer.from(`{"question":"it's free?"}`),
    });
    expect(command).toBe(
      [
        "curl --silent --show-error --include --request POST 'http://localhost:3000/webhooks/guuru'",
        "  --header 'content-type: application/json'",
        "  --header 'x-empty;'",
        `  --data-binary '{"question":"it'\\''s free?"}'`,
      ].join(' \\\n'),
    );
  });

  it('pipes a body with CR, control characters or invalid UTF-8 from printf, which reproduces every byte', () => {
    const bytes = Buffer.from([...Array(256).keys(), 0x0d, 0x0a, 0x25, 0x5c, 0x27]);
    expect(sh(`printf ${shellQuote(printfEscaped(bytes))}`)).toEqual(bytes);
    const command = curlCommand({ method: 'POST', url: 'http://h/p', headers: [], body: Buffer.from('a\r\nb') });
    expect(command.startsWith(`printf 'a\\015\\012b' | curl`)).toBe(true);
    expect(command.endsWith('--data-binary @-')).toBe(true);
  });
});
