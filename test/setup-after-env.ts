import { afterAll, expect } from '@jest/globals';
import { ALL_SECRET_STRINGS } from './e2e/fixtures/secrets.js';
import { capturedLogs, captureProcessOutput } from './support/log-capture.js';
import { sampleConfig } from '../sample/sample.config.js';

captureProcessOutput();

// Across the whole suite: no configured secret may appear in any log line a test app wrote.
afterAll(() => {
  const logs = capturedLogs();
  const secrets = [
    ...ALL_SECRET_STRINGS,
    sampleConfig.usersnapToken,
    sampleConfig.survicateSecret,
    sampleConfig.survicateToken,
    sampleConfig.shopSurveySecret,
    sampleConfig.billingSecret,
    sampleConfig.githubSecret,
  ];
  const leaked = secrets.filter((secret) => logs.includes(secret)).map((secret) => `${secret.slice(0, 6)}…`);
  // The message names only the first characters, so the failure itself does not print a secret.
  expect(leaked).toEqual([]);
});
