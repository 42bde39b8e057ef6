import { describe, expect, it } from '@jest/globals';
import { WebhookEvents, type WebhookOutcomeEvent, type WebhookOutcomeFacts } from '../../lib/module/webhook-events.js';

const facts: WebhookOutcomeFacts = {
  outcome: 'verified',
  source: 'guuru',
  deliveryId: 'd1',
  headers: { 'x-guuru-hmac-sha256': 'c2ln', 'x-plain': 'p' },
  sensitiveHeaders: ['x-guuru-hmac-sha256'],
};

describe('WebhookEvents taps (the dashboard’s way in)', () => {
  it('hands each outcome’s facts, unmasked, to every tap with one time, which the event carries too', () => {
    const events = new WebhookEvents();
    const tapped: [WebhookOutcomeFacts, number][] = [];
    const emitted: WebhookOutcomeEvent[] = [];
    events.tap((seen, at) => tapped.push([seen, at]));
    events.events$.subscribe((event) => emitted.push(event));
    events.emit(facts);
    expect(tapped).toHaveLength(1);
    expect(tapped[0]![0]).toBe(facts);
    expect(emitted[0]!.at.getTime()).toBe(tapped[0]![1]);
    expect(emitted[0]!.headers).toEqual({ 'x-guuru-hmac-sha256': '[masked]', 'x-plain': 'p' });
  });

  it('stops calling a removed tap, and a tap removed during an emit makes it skip no other', () => {
    const events = new WebhookEvents();
    const calls: string[] = [];
    const removeFirst: () => void = events.tap(() => {
      calls.push('first');
      removeFirst();
    });
    const removeSecond = events.tap(() => calls.push('second'));
    events.emit(facts);
    events.emit(facts);
    removeSecond();
    events.emit(facts);
    expect(calls).toEqual(['first', 'second', 'second']);
  });
});
