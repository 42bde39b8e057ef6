import { describe, it } from '@jest/globals';
import { PLATFORMS } from './fixtures/test-app.js';

describe.each(PLATFORMS)('a client that aborts mid-body on %s', () => {
  // Tried (real app on app.listen(0), node:net socket sending a signed POST /webhooks/guuru head
  // with Content-Length: 100000 and 1000 body bytes, then socket.destroy()), with the fixture's
  // rawBody: true and with rawBody: false, on Express and Fastify: no WebhookEvents.onOutcome
  // event arrived within 5-10 s on either platform, although lib/http/read-body-stream.ts has a
  // body_unreadable rejection for exactly this. Not yet known whether the outcome is not recorded
  // (library gap) or the platform's body parser swallows the abort before the library sees it;
  // left as a todo until that is investigated (checking app.logs for 'body_unreadable' is next).
  it.todo('is recorded as body_unreadable, runs no handler, and the app keeps serving');
});
