import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { registeredProviderNames, signWebhook, WebhooksModule, type WebhookSourceOptions } from '../../lib/index.js';
import { compileProject } from '../support/compile.js';
import { captureChildOutput } from '../support/log-capture.js';
import { credentialsFor } from '../cli/credentials.js';
import { ALL_SECRET_STRINGS, SECRETS } from './fixtures/secrets.js';
import { startTestApp, testWebhooksOptions, type TestApp } from './fixtures/test-app.js';

/**
 * The command line as users get it: the library compiled, packed with `npm pack`, installed
 * from the tarball into an empty project without its peer dependencies (so no NestJS, no
 * class-validator, no rxjs: only the package and busboy), and run as a separate process
 * against a real Nest app. The build goes to this suite's own temporary directory, so the
 * repository's dist/ is left to `npm run build`.
 */
const REPO = process.cwd();
const WORK = mkdtempSync(join(tmpdir(), 'nestjs-signed-webhooks-cli-'));
const PACKAGE_DIR = join(WORK, 'package');
const APP_DIR = join(WORK, 'app');
const BIN = join(APP_DIR, 'node_modules/.bin/nestjs-signed-webhooks');
const run = promisify(execFile);

/** The seed senders' sources in the test app, and the handler each example reaches. */
const SEED_SOURCES: Readonly<Record<string, { source: string; secret: string; handler: string; extra?: string[] }>> = {
  usersnap: { source: 'usersnap', secret: SECRETS.usersnap, handler: 'usersnap' },
  guuru: { source: 'guuru', secret: SECRETS.guuru, handler: 'guuru' },
  survicate: {
    source: 'survicate',
    secret: SECRETS.survicate,
    handler: 'survicate.questionAnswered',
    extra: ['--token-env', 'SURVICATE_TOKEN'],
  },
  shopsurvey: { source: 'shopsurvey', secret: SECRETS.shopsurvey, handler: 'shopsurvey.Response.Created' },
  'standard-webhooks': { source: 'billing', secret: SECRETS.billing, handler: 'billing.invoice.paid' },
  // The test app declares GitHub with hmacProvider; the CLI's github preset signs the same way.
  github: { source: 'github', secret: SECRETS.github, handler: 'github.push' },
};
const WRONG_SECRET = 'wrong-secret-Kd42Lx';
const ENV = { SURVICATE_TOKEN: SECRETS.survicateToken };

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Everything any run printed, for the final no-secret check. */
const printed: string[] = [];
let runs = 0;

/** Starts a process in the empty project with only the environment given, its output recorded. */
function start(command: string, args: readonly string[], env: Record<string, string>, stdin?: Buffer): Promise<Ran> {
  runs += 1;
  const child = spawn(command, args, {
    cwd: APP_DIR,
    // No NODE_OPTIONS (Jest's VM-modules flag) and no inherited secrets: only what the run is given.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? WORK, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  captureChildOutput(child, `cli ${runs}`);
  child.stdin.end(stdin);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the installed binary, as `node node_modules/.bin/nestjs-signed-webhooks <args>`. */
function cli(args: readonly string[], env: Record<string, string> = {}, stdin?: Buffer): Promise<Ran> {
  return start(process.execPath, [BIN, ...args], env, stdin);
}

/** Runs a shell script in which `nsw` is the installed binary. */
function sh(script: string, env: Record<string, string> = {}): Promise<Ran> {
  const nsw = 'nsw() { "$NODE_BIN" "$CLI_BIN" "$@"; }';
  return start('sh', ['-c', `${nsw}\n${script}`], { NODE_BIN: process.execPath, CLI_BIN: BIN, ...env });
}

/** `text` as a regular expression that matches it literally. */
function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles lib/ into the package directory, packs it, and installs the tarball into an empty project. */
async function installPackedCli(): Promise<void> {
  mkdirSync(PACKAGE_DIR, { recursive: true });
  mkdirSync(APP_DIR, { recursive: true });
  const tsconfig = join(WORK, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO, 'tsconfig.build.json'),
      compilerOptions: {
        rootDir: join(REPO, 'lib'),
        outDir: join(PACKAGE_DIR, 'dist'),
        typeRoots: [join(REPO, 'node_modules/@types')],
        declaration: false,
        declarationMap: false,
        sourceMap: false,
      },
      include: [join(REPO, 'lib')],
    }),
  );
  await compileProject(tsconfig, join(PACKAGE_DIR, 'dist/cli/main.js'));
  copyFileSync(join(REPO, 'package.json'), join(PACKAGE_DIR, 'package.json'));
  copyFileSync(join(REPO, 'README.md'), join(PACKAGE_DIR, 'README.md'));
  const packed = await run('npm', ['pack', '--pack-destination', WORK, '--silent'], { cwd: PACKAGE_DIR });
  const tarball = join(WORK, packed.stdout.trim().split('\n').pop()!);
  writeFileSync(join(APP_DIR, 'package.json'), JSON.stringify({ name: 'cli-e2e-app', private: true, type: 'module' }));
  // busboy (and streamsearch) come from the npm cache: the repository's own install put them there.
  await run('npm', ['install', '--omit=peer', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: APP_DIR,
  });
}

/** A TCP server that keeps the exact bytes of each request it gets, as a capturing proxy would. */
async function startCaptureServer(): Promise<{ server: NetServer; url: string; captured: Buffer[] }> {
  const captured: Buffer[] = [];
  const server = createServer((socket) => {
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      bytes = Buffer.concat([bytes, chunk]);
      const headEnd = bytes.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.toString('latin1', 0, headEnd));
      if (bytes.length < headEnd + 4 + Number(length?.[1] ?? 0)) return;
      captured.push(bytes);
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\ncaptured');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, captured };
}

/** The 24 presets the test app does not have yet, each under its own name, with the secret of its form. */
function presetSources(): Record<string, WebhookSourceOptions> {
  const sources: Record<string, WebhookSourceOptions> = {};
  for (const name of registeredProviderNames()) {
    if (!(name in SEED_SOURCES)) sources[name] = { secret: credentialsFor(name).secret };
  }
  return sources;
}

/** The arguments that carry a provider's credentials (a key-pair sender's private key as a file). */
function credentialArgs(provider: string): string[] {
  const seed = SEED_SOURCES[provider];
  if (seed) return ['--secret', seed.secret, ...(seed.extra ?? [])];
  const { secret, privateKeyPem } = credentialsFor(provider);
  if (privateKeyPem === undefined) return ['--secret', secret];
  const file = join(WORK, `${provider}.pem`);
  writeFileSync(file, privateKeyPem);
  return ['--secret', secret, '--private-key', file];
}

describe('the nestjs-signed-webhooks command, installed from the packed tarball', () => {
  let testApp: TestApp;
  let base: string;
  const urlOf = (source: string) => `${base}/webhooks/${source}`;

  beforeAll(async () => {
    const options = testWebhooksOptions();
    const sources = { ...options.sources, ...presetSources() };
    const module = WebhooksModule.forRoot({ ...options, sources, selfCheck: 'off' });
    [testApp] = await Promise.all([startTestApp(module), installPackedCli()]);
    await testApp.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((testApp.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  }, 420_000);

  afterAll(async () => {
    await testApp?.app.close();
    rmSync(WORK, { recursive: true, force: true });
  });

  it('runs with no NestJS, class-validator, reflect-metadata or rxjs installed', () => {
    for (const absent of ['@nestjs/common', '@nestjs/core', 'class-validator', 'reflect-metadata', 'rxjs']) {
      expect(() => readFileSync(join(APP_DIR, 'node_modules', absent, 'package.json'))).toThrow();
    }
    readFileSync(join(APP_DIR, 'node_modules/busboy/package.json'));
  });

  it('answers --help on every command with exit 0, and a usage error with exit 2', async () => {
    for (const command of [[], ['send'], ['sign'], ['verify'], ['providers']]) {
      const help = await cli([...command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toContain('Usage: nestjs-signed-webhooks');
    }
    expect((await cli(['send', 'guuru', '--secret', SECRETS.guuru])).code).toBe(2);
    expect((await cli(['send', 'nope', '--secret', SECRETS.guuru, '--url', urlOf('guuru')])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  describe.each(registeredProviderNames())('send %s', (provider) => {
    it("signs the sender's example as the sender would: 2xx, exit 0, and a seed sender's handler ran", async () => {
      testApp.calls.clear();
      const source = SEED_SOURCES[provider]?.source ?? provider;
      const { code, stdout, stderr } = await cli(
        ['send', provider, '--url', urlOf(source), ...credentialArgs(provider)],
        ENV,
      );
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(new RegExp(`^POST ${literally(urlOf(source))}: 2\\d\\d \\w.* in \\d+ ms\n`));
      const handler = SEED_SOURCES[provider]?.handler;
      if (handler) expect(testApp.calls.of(handler)).toHaveLength(1);
    });
  });

  it('send with a wrong secret: the 401 and its reason are printed, exit 1, no handler ran', async () => {
    testApp.calls.clear();
    const { code, stdout } = await cli(['send', 'guuru', '--url', urlOf('guuru'), '--secret', WRONG_SECRET]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/: 401 Unauthorized in \d+ ms\n/);
    expect(stdout).toContain('invalid_signature');
    expect(testApp.calls.calls).toHaveLength(0);
  });

  it('send --secret-env reads the secret from the environment; --json prints one object', async () => {
    testApp.calls.clear();
    const args = ['send', 'github', '--url', urlOf('github'), '--secret-env', 'GH_SECRET', '--event', 'push', '--json'];
    const { code, stdout } = await cli(args, { GH_SECRET: SECRETS.github });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toEqual({
      ok: true,
      command: 'send',
      provider: 'github',
      event: 'push',
      payload: 'example',
      url: urlOf('github'),
      request: { headers: expect.objectContaining({ 'x-github-event': 'push' }), bodyBytes: expect.any(Number) },
      status: 200,
      statusText: 'OK',
      timeMs: expect.any(Number),
      response: { headers: expect.objectContaining({ 'content-type': expect.any(String) }), body: expect.any(String) },
    });
    expect(testApp.calls.of('github.push')).toHaveLength(1);
  });

  it('send --payload - sends the bytes from standard input; --event names the event of a header sender', async () => {
    testApp.calls.clear();
    const payload = Buffer.from('{"ref":"refs/heads/release","note":"Olá"}');
    const args = ['send', 'github', '--url', urlOf('github'), '--secret', SECRETS.github, '--event', 'push'];
    const { code } = await cli([...args, '--payload', '-'], {}, payload);
    expect(code).toBe(0);
    expect(testApp.calls.of('github.push')[0]?.payload).toEqual({ ref: 'refs/heads/release', note: 'Olá' });
  });

  it('send to nothing listening: exit 1 and why, in text and JSON', async () => {
    const closed = await startCaptureServer();
    await new Promise((resolve) => closed.server.close(resolve));
    const args = ['send', 'guuru', '--url', `${closed.url}/webhooks/guuru`, '--secret', SECRETS.guuru];
    const text = await cli(args);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('ECONNREFUSED');
    const json = await cli([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: 'failed',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('sign --curl, piped to a real curl, delivers to the handler (the secret read from a variable)', async () => {
    testApp.calls.clear();
    // Its own body: Guuru signs only the body, so the example's would be a repeat of send's (answered, not handled).
    const payload = `printf '%s' '{"question":"Sent by curl?"}'`;
    const script = `${payload} | nsw sign guuru --payload - --secret-env GUURU_SECRET --url '${urlOf('guuru')}' --curl | sh`;
    const { code, stdout, stderr } = await sh(script, { GUURU_SECRET: SECRETS.guuru });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(testApp.calls.of('guuru').map((call) => call.payload)).toEqual([{ question: 'Sent by curl?' }]);
  });

  it('verify reads what curl --trace recorded of a real delivery', async () => {
    testApp.calls.clear();
    const trace = join(WORK, 'delivery.trace');
    const script =
      `nsw sign standard-webhooks --secret-env BILLING --url '${urlOf('billing')}' --curl ` +
      `| sed "s|^curl |curl --trace '${trace}' |" | sh`;
    expect((await sh(script, { BILLING: SECRETS.billing })).code).toBe(0);
    expect(testApp.calls.of('billing.invoice.paid')).toHaveLength(1);
    const verified = await cli([
      'verify',
      'standard-webhooks',
      '--secret',
      SECRETS.billing,
      '--request',
      trace,
      '--json',
    ]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      event: 'invoice.paid',
      request: { format: 'curl-trace' },
    });
  });

  describe('verify a captured request', () => {
    let capture: Awaited<ReturnType<typeof startCaptureServer>>;
    let file: string;

    beforeAll(async () => {
      capture = await startCaptureServer();
      const sent = await cli(['send', 'guuru', '--url', `${capture.url}/webhooks/guuru`, '--secret', SECRETS.guuru]);
      expect(sent.code).toBe(0);
      file = join(WORK, 'captured.http');
      writeFileSync(file, capture.captured[0]!);
    });

    afterAll(async () => {
      await new Promise((resolve) => capture.server.close(resolve));
    });

    it('as sent: verified, exit 0, with what the library reads from it', async () => {
      const { code, stdout } = await cli(['verify', 'guuru', '--secret-env', 'GUURU_SECRET', '--request', file], {
        GUURU_SECRET: SECRETS.guuru,
      });
      expect(code).toBe(0);
      expect(stdout).toContain('verified: a genuine guuru delivery');
      expect(stdout).toContain('x-guuru-hmac-sha256: present (value hidden)');
    });

    it('tampered: refused, exit 1, the reason and message, the header present but never its value', async () => {
      const captured = capture.captured[0]!;
      const tampered = Buffer.from(captured);
      const at = tampered.indexOf('Portugal');
      tampered[at] = 0x70; // 'P' -> 'p': same length, another body
      const tamperedFile = join(WORK, 'tampered.http');
      writeFileSync(tamperedFile, tampered);
      const { code, stdout } = await cli([
        'verify',
        'guuru',
        '--secret',
        SECRETS.guuru,
        '--request',
        tamperedFile,
        '--json',
      ]);
      expect(code).toBe(1);
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result).toEqual({
        ok: false,
        command: 'verify',
        provider: 'guuru',
        toleranceSeconds: 300,
        url: null,
        reason: 'invalid_signature',
        message: 'The x-guuru-hmac-sha256 header does not match the delivery.',
        window: null,
        request: {
          method: 'POST',
          target: '/webhooks/guuru',
          format: 'http',
          chunked: false,
          ignoredBytes: 0,
          bodyBytes: expect.any(Number),
        },
        headers: [{ name: 'x-guuru-hmac-sha256', present: true, sensitive: true }],
      });
      const signature = /x-guuru-hmac-sha256: ([0-9a-f]+)/.exec(captured.toString('latin1'))![1]!;
      expect(stdout).not.toContain(signature);
    });

    it('an hour old: refused for the window, by how much it missed, and --tolerance 0 turns the window off', async () => {
      const hourAgo = new Date(Date.now() - 3_600_000);
      const { headers, body } = signWebhook({
        provider: 'standard-webhooks',
        secret: SECRETS.billing,
        payload: { type: 'invoice.paid' },
        timestamp: hourAgo,
      });
      const head = [
        'POST /webhooks/billing HTTP/1.1',
        'host: hooks.example.com',
        ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`),
      ];
      const old = join(WORK, 'old.http');
      writeFileSync(
        old,
        Buffer.concat([Buffer.from(`${head.join('\n')}\ncontent-length: ${body.length}\n\n`), body, Buffer.from('\n')]),
      );
      const args = ['verify', 'standard-webhooks', '--secret', SECRETS.billing, '--request', old];
      const refused = await cli(args);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('refused: timestamp_out_of_window');
      expect(refused.stdout).toMatch(/, 360\ds ago: 330\ds outside the 300s window\./);
      expect(refused.stdout).toContain('--tolerance 0 turns the window off');
      const json = JSON.parse((await cli([...args, '--json'])).stdout) as { window: Record<string, unknown> };
      expect(json.window).toEqual({
        timestamp: new Date(Math.floor(hourAgo.getTime() / 1000) * 1000).toISOString(),
        skewSeconds: expect.any(Number),
        missedBySeconds: expect.any(Number),
        verifiesWithoutWindow: true,
        reasonWithoutWindow: null,
      });
      const accepted = await cli([...args, '--tolerance', '0']);
      expect(accepted.code).toBe(0);
      expect(accepted.stderr).toContain('1 byte(s) after the Content-Length were left out');
    });
  });

  it('never printed a secret: not in any output of any run, errors and refusals included', async () => {
    // A few more runs that go wrong in the ways most likely to echo an argument.
    await cli(['sign', 'guuru', '--secret', SECRETS.guuru, '--bogus']);
    await cli(['sign', 'guuru', SECRETS.guuru]);
    await cli(['sign', 'gitlab', '--secret', SECRETS.github]);
    await cli(['sign', 'gitlab', '--secret', SECRETS.github, '--json', '--url', urlOf('gitlab'), '--curl']);
    await cli(['verify', 'guuru', '--secret', WRONG_SECRET, '--request', join(WORK, 'missing.http')]);
    const everything = printed.join('\n');
    const secrets = [...ALL_SECRET_STRINGS, WRONG_SECRET, credentialsFor('gitlab').secret];
    const leaked = secrets.filter((secret) => everything.includes(secret)).map((secret) => `${secret.slice(0, 6)}…`);
    expect(leaked).toEqual([]);
    expect(runs).toBeGreaterThan(40);
  });
});
