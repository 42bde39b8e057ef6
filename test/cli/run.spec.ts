import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CliIo } from '../../lib/cli/cli-io.js';
import { run } from '../../lib/cli/run.js';
import { registeredProviderNames } from '../../lib/entries/core.js';
import { CLI_SECRET, credentialsFor } from './credentials.js';

const DIR = mkdtempSync(join(tmpdir(), 'cli-run-'));

interface Ran {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs one command line in-process, with its own streams. */
async function cli(
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: Buffer } = {},
): Promise<Ran> {
  const stdout: Buffer[] = [];
  let stderr = '';
  const io: CliIo = {
    stdout: (chunk) => void stdout.push(Buffer.from(chunk)),
    stderr: (chunk) => void (stderr += chunk),
    env: options.env ?? {},
    readStdin: () => Promise.resolve(options.stdin ?? Buffer.alloc(0)),
  };
  const code = await run(argv, io);
  return { code, stdout: Buffer.concat(stdout), stderr };
}

/** The credentials of a provider as arguments, the private key written to a file. */
function credentialArgs(provider: string): string[] {
  const { secret, privateKeyPem } = credentialsFor(provider);
  if (privateKeyPem === undefined) return ['--secret', secret];
  const file = join(DIR, `${provider}.pem`);
  writeFileSync(file, privateKeyPem);
  return ['--secret', secret, '--private-key', file];
}

describe('the command line, in-process', () => {
  it('answers --help for the program and every command with exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['-h'],
      ['send', '--help'],
      ['sign', '-h'],
      ['verify', '--help'],
      ['providers', '-h'],
    ]) {
      const { code, stdout } = await cli(argv);
      expect({ argv, code }).toEqual({ argv, code: 0 });
      expect(stdout.toString()).toContain('Usage: nestjs-signed-webhooks');
    }
    expect((await cli(['--help'])).stdout.toString()).toContain('hmacProvider(...), is not');
  });

  it('exits 2 for no command, an unknown command, an unknown provider or event, and says what to run', async () => {
    expect((await cli([])).code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('The commands are send, sign, verify and providers.');
    const provider = await cli(['sign', 'githu', '--secret', CLI_SECRET]);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain('The providers are: usersnap, guuru,');
    expect(provider.stderr).toContain('Run "nestjs-signed-webhooks sign --help"');
    const event = await cli(['sign', 'github', '--secret', CLI_SECRET, '--event', 'pull_request']);
    expect(event.code).toBe(2);
    expect(event.stderr).toContain('Its examples: push, ping.');
  });

  it('answers a usage error with --json as one JSON object on stdout', async () => {
    const { code, stdout, stderr } = await cli(['verify', 'stripe', '--secret', 'x', '--json']);
    expect(code).toBe(2);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout.toString())).toEqual({
      ok: false,
      error: 'usage',
      message: expect.stringContaining('--request'),
    });
  });

  it('exits 2 for credentials the sender cannot use (a configuration error)', async () => {
    const { code, stderr } = await cli(['sign', 'discord', '--secret', 'not-a-public-key']);
    expect(code).toBe(2);
    expect(stderr).toContain('discord');
  });

  it.each(registeredProviderNames())(
    '%s: what sign prints, verify reads back as a genuine delivery of the example event',
    async (provider) => {
      const url = `https://hooks.example.com/webhooks/${provider}?tenant=acme`;
      const events = (await cli(['providers', '--json'])).stdout;
      const listing = (JSON.parse(events.toString()) as { providers: { name: string; events: string[] }[] }).providers;
      const expectedEvent = listing.find((each) => each.name === provider)?.events[0] ?? null;
      const signed = await cli(['sign', provider, ...credentialArgs(provider), '--url', url]);
      expect(signed.code).toBe(0);
      const file = join(DIR, `${provider}.http`);
      writeFileSync(file, signed.stdout);
      const { secret } = credentialsFor(provider);
      const verified = await cli(['verify', provider, '--secret', secret, '--request', file, '--json']);
      const result = JSON.parse(verified.stdout.toString()) as { ok: boolean; event: string | null; reason?: string };
      if (signed.stderr.includes('carries the secret in clear')) {
        // A sender that sends its secret as a header (GitLab's token): printed [redacted], so it cannot verify.
        expect({ code: verified.code, reason: result.reason }).toEqual({ code: 1, reason: 'invalid_token' });
        return;
      }
      expect({ code: verified.code, ok: result.ok, event: result.event }).toEqual({
        code: 0,
        ok: true,
        event: expectedEvent,
      });
    },
  );

  it('refuses a tampered request with exit 1, the reason, and which headers were there, values of signatures hidden', async () => {
    const signed = await cli(['sign', 'github', '--secret', CLI_SECRET, '--event', 'ping']);
    const file = join(DIR, 'tampered.http');
    writeFileSync(
      file,
      signed.stdout.toString('latin1').replace('Design for failure.', 'Design for fa1lure.'),
      'latin1',
    );
    const plain = await cli(['verify', 'github', '--secret', CLI_SECRET, '--request', file]);
    expect(plain.code).toBe(1);
    expect(plain.stdout.toString()).toContain('refused: invalid_signature');
    expect(plain.stdout.toString()).toContain('x-hub-signature-256: present (value hidden)');
    expect(plain.stdout.toString()).toContain('x-github-event: ping');
    const signature = /x-hub-signature-256: (\S+)/.exec(signed.stdout.toString())![1]!;
    expect(plain.stdout.toString()).not.toContain(signature);
    const json = JSON.parse(
      (await cli(['verify', 'github', '--secret', CLI_SECRET, '--request', file, '--json'])).stdout.toString(),
    );
    expect(json).toMatchObject({ ok: false, reason: 'invalid_signature', window: null });
    expect(json.headers).toContainEqual({ name: 'x-hub-signature-256', present: true, sensitive: true });
    expect(json.headers).toContainEqual({ name: 'x-hub-signature', present: false, sensitive: true });
  });

  it('reads the request and the payload from standard input with -', async () => {
    const signed = await cli(['sign', 'guuru', '--secret', CLI_SECRET, '--payload', '-'], {
      stdin: Buffer.from('{"q":1}'),
    });
    expect(signed.stdout.toString().endsWith('\r\n\r\n{"q":1}')).toBe(true);
    const verified = await cli(['verify', 'guuru', '--secret', CLI_SECRET, '--request', '-'], { stdin: signed.stdout });
    expect(verified.code).toBe(0);
  });

  it('never prints a secret that a sender sends in clear: redacted in text and JSON, a variable in --curl', async () => {
    const env = { GITLAB_TOKEN: CLI_SECRET };
    const runs = [
      await cli(['sign', 'gitlab', '--secret', CLI_SECRET]),
      await cli(['sign', 'gitlab', '--secret', CLI_SECRET, '--json']),
      await cli(['sign', 'gitlab', '--secret-env', 'GITLAB_TOKEN', '--url', 'http://h/p', '--curl'], { env }),
      await cli(['sign', 'gitlab', '--secret', CLI_SECRET, '--url', 'http://h/p', '--curl', '--json']),
      await cli(['sign', 'gitlab', '--secret', CLI_SECRET, '--nope']),
      await cli(['sign', 'gitlab', CLI_SECRET]),
    ];
    for (const ran of runs) {
      expect(ran.stdout.toString()).not.toContain(CLI_SECRET);
      expect(ran.stderr).not.toContain(CLI_SECRET);
    }
    expect(runs[0]!.stdout.toString()).toContain('x-gitlab-token: [redacted]');
    expect(runs[2]!.stdout.toString()).toContain(`'x-gitlab-token: '"\${GITLAB_TOKEN}"`);
    expect(runs[2]!.stderr).toContain('$GITLAB_TOKEN');
  });

  it('lists the providers with what their secret is and their example events', async () => {
    const { code, stdout } = await cli(['providers']);
    expect(code).toBe(0);
    expect(stdout.toString()).toMatch(/^github +GitHub\. Secret: webhook secret\. Example events: push, ping\.$/m);
    expect(stdout.toString()).toMatch(/^twilio .* Signs the URL: give --url\.$/m);
  });

  it('prints the version from package.json', async () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect((await cli(['--version'])).stdout.toString().trim()).toBe(manifest.version);
  });
});
