import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { launch, type Browser, type Page } from 'puppeteer-core';
import { WebhookSigner } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { signSampleDeliveries } from '../../sample/payloads.js';
import { sampleConfig } from '../../sample/sample.config.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Chromium as `npm test` made sure it is installed (scripts/ensure-chromium.sh); never skipped. */
function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error(
    'Chromium is not installed: run `bash scripts/ensure-chromium.sh` (npm test does) or set CHROMIUM_PATH.',
  );
}

/** The page's visible text, `document.body.innerText` (a string: this project compiles without the DOM's types). */
async function visibleText(page: Page): Promise<string> {
  return String(await page.evaluate('document.body.innerText'));
}

describe('the dashboard in a real browser (headless Chromium, the sample app with WebhooksDashboardModule)', () => {
  let app: INestApplication;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // The sample's own app: WebhooksModule, then WebhooksDashboardModule behind the sample's token.
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    browser = await launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--headless=new'] });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("shows each source's counts on the overview after npm run sample:send, and saves a screenshot", async () => {
    // What `npm run sample:send` sends, over real HTTP.
    const deliveries = signSampleDeliveries(app.get(WebhookSigner));
    for (const [source, { headers, body }] of deliveries) {
      const response = await fetch(`${base}/webhooks/${source}`, { method: 'POST', headers, body });
      expect({ source, status: response.status }).toEqual({ source, status: 200 });
    }
    // One tampered Guuru delivery, so the overview shows a rejection too.
    const [, guuru] = deliveries.find(([source]) => source === 'guuru')!;
    await fetch(`${base}/webhooks/guuru`, { method: 'POST', headers: guuru.headers, body: `${String(guuru.body)} ` });

    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    // Without the sample's token: 401.
    const refused = await page.goto(`${base}/webhooks/_dashboard`);
    expect(refused?.status()).toBe(401);
    // Through the sample's login link, as a person would: a cookie, then the overview.
    const opened = await page.goto(`${base}/dashboard-login?token=${encodeURIComponent(sampleConfig.dashboardToken)}`);
    expect(opened?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/webhooks/_dashboard`);

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = `${ARTIFACTS}dashboard-overview.png`;
    await page.screenshot({ path: `${ARTIFACTS}dashboard-overview.png`, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);

    const text = await visibleText(page);
    // Per source, in the last-hour table: verified, handled, queued, duplicate, handshake, rejected, failed.
    for (const [source] of deliveries) {
      const counts = source === 'guuru' ? [1, 1, 0, 0, 0, 1, 0] : [1, 1, 0, 0, 0, 0, 0];
      const reasons = source === 'guuru' ? '\\s+invalid_signature 1' : '';
      expect(text).toMatch(new RegExp(`${source}\\s+${counts.join('\\s+')}${reasons}`));
    }
    expect(text).toContain('Last 24 hours');

    // Every page is a plain link away: the list, then one delivery.
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/deliveries"]')]);
    expect(await visibleText(page)).toContain('invalid_signature');
    await Promise.all([page.waitForNavigation(), page.click('td a[href*="/deliveries/"]')]);
    const detail = await visibleText(page);
    expect(detail).toContain('Headers');
    expect(detail).toMatch(/Attempt id\s+\S+-\S+/);
    await page.close();
  }, 60_000);
});
