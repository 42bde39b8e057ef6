import { describe, expect, it } from '@jest/globals';
import { assertWithinWindow, parseEpochTimestamp, parseIsoOrEpochTimestamp } from '../../lib/core/timestamp.js';
import { reasonOf } from './rejections.js';

describe('timestamps', () => {
  describe('parseEpochTimestamp', () => {
    it('reads fewer than 13 digits as seconds and 13 or more as milliseconds', () => {
      expect(parseEpochTimestamp('1714564800', 'h')).toEqual(new Date(1714564800_000));
      expect(parseEpochTimestamp('1714564800123', 'h')).toEqual(new Date(1714564800123));
      expect(parseEpochTimestamp('0', 'h')).toEqual(new Date(0));
      expect(parseEpochTimestamp('999999999999', 'h')).toEqual(new Date(999999999999_000));
    });

    it.each(['', '-5', '12a', '1.5', '1e9', ' 1', '1 ', '+1', '0x10', '\u0661\u0662', '9'.repeat(16), '9'.repeat(80)])(
      'rejects %j as malformed_timestamp',
      (text) => {
        expect(reasonOf(() => parseEpochTimestamp(text, 'h'))).toBe('malformed_timestamp');
      },
    );

    it('names the header in the message', () => {
      expect(() => parseEpochTimestamp('x', 'x-my-timestamp')).toThrow('x-my-timestamp');
    });
  });

  describe('parseIsoOrEpochTimestamp', () => {
    it.each([
      ['2024-05-01T12:00:00Z', 1714564800000],
      ['2024-05-01T12:00:00.250Z', 1714564800250],
      ['2024-05-01T12:00Z', 1714564800000],
      ['2024-05-01T14:00:00+02:00', 1714564800000],
      ['2024-05-01T07:00:00-0500', 1714564800000],
      ['1714564800', 1714564800000],
      ['1714564800250', 1714564800250],
    ])('reads %s', (text, ms) => {
      expect(parseIsoOrEpochTimestamp(text, 'h').getTime()).toBe(ms);
    });

    it.each(['2024-05-01', '2024-05-01T12:00:00', 'May 1, 2024', '2024-13-01T00:00:00Z', 'Z', '-5', '12a'])(
      'rejects %j as malformed_timestamp',
      (text) => {
        expect(reasonOf(() => parseIsoOrEpochTimestamp(text, 'h'))).toBe('malformed_timestamp');
      },
    );
  });

  describe('assertWithinWindow', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

    it('accepts up to the tolerance either side', () => {
      expect(() => assertWithinWindow(at(300), { now, toleranceSeconds: 300 })).not.toThrow();
      expect(() => assertWithinWindow(at(-300), { now, toleranceSeconds: 300 })).not.toThrow();
    });

    it('rejects beyond the tolerance either side', () => {
      expect(reasonOf(() => assertWithinWindow(at(300.001), { now, toleranceSeconds: 300 }))).toBe(
        'timestamp_out_of_window',
      );
      expect(reasonOf(() => assertWithinWindow(at(-301), { now, toleranceSeconds: 300 }))).toBe(
        'timestamp_out_of_window',
      );
    });

    it('is off with a tolerance of 0', () => {
      expect(() => assertWithinWindow(new Date(0), { now, toleranceSeconds: 0 })).not.toThrow();
    });
  });
});
