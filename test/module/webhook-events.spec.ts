import { describe, expect, it } from '@jest/globals';
import { WebhookEvents, type WebhookOutcomeEvent } from '../../lib/module/webhook-events.js';

const event = { outcome: 'verified', attemptId: 'p-1', source: 'guuru' } as unknown as WebhookOutcomeEvent;

describe('WebhookEvents', () => {
  it('hands each published outcome to every listener, then to events$', () => {
    const events = new WebhookEvents();
    const seen: string[] = [];
    events.onOutcome((e) => seen.push(`listener:${e.attemptId}`));
    events.events$.subscribe((e) => seen.push(`stream:${e.attemptId}`));
    expect(events.listening).toBe(true);
    events.publish(event);
    expect(seen).toEqual(['listener:p-1', 'stream:p-1']);
  });

  it('says nobody listens until someone does', () => {
    const events = new WebhookEvents();
    expect(events.listening).toBe(false);
    const stop = events.onOutcome(() => undefined);
    expect(events.listening).toBe(true);
    stop();
    expect(events.listening).toBe(false);
  });

  it('stops calling a removed listener, and a listener removed during a publish makes it skip no other', () => {
    const events = new WebhookEvents();
    const calls: string[] = [];
    const removeFirst: () => void = events.onOutcome(() => {
      calls.push('first');
      removeFirst();
    });
    const removeSecond = events.onOutcome(() => calls.push('second'));
    events.publish(event);
    events.publish(event);
    removeSecond();
    events.publish(event);
    expect(calls).toEqual(['first', 'second', 'second']);
  });

  it('keeps a throwing listener away from the others and from the caller', () => {
    const events = new WebhookEvents();
    const calls: string[] = [];
    events.onOutcome(() => {
      throw new Error('listener bug');
    });
    events.onOutcome(() => calls.push('after'));
    expect(() => events.publish(event)).not.toThrow();
    expect(() => events.publish(event)).not.toThrow();
    expect(calls).toEqual(['after', 'after']);
  });
});
