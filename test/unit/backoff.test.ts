import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, parseRetryAfterMs, retryAfterSeconds } from '../../src/reliability/backoff.ts';

describe('backoffDelayMs (full jitter)', () => {
  it('draws from [0, base * 2^retry] while under the cap', () => {
    assert.equal(backoffDelayMs(0, 100, 10_000, () => 0), 0);
    assert.equal(backoffDelayMs(0, 100, 10_000, () => 0.5), 50);
    assert.equal(backoffDelayMs(0, 100, 10_000, () => 0.999999), 99);
    assert.equal(backoffDelayMs(1, 100, 10_000, () => 0.999999), 199);
    assert.equal(backoffDelayMs(3, 100, 10_000, () => 0.999999), 799);
    assert.equal(backoffDelayMs(3, 100, 10_000, () => 0.25), 200);
  });

  it('never exceeds the cap, however many retries', () => {
    assert.equal(backoffDelayMs(5, 100, 2_000, () => 0.999999), 1_999);
    assert.equal(backoffDelayMs(5, 100, 2_000, () => 0.5), 1_000);
    assert.equal(backoffDelayMs(60, 100, 2_000, () => 0.999999), 1_999);
    assert.equal(backoffDelayMs(2_000, 100, 2_000, () => 0.5), 1_000);
  });

  it('stays an integer within bounds for every draw', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let retry = 0; retry < 12; retry++) {
      const ceiling = Math.min(5_000, 50 * 2 ** retry);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelayMs(retry, 50, 5_000, random);
        assert.ok(Number.isInteger(d), `${d} is an integer`);
        assert.ok(d >= 0 && d < ceiling, `${d} in [0, ${ceiling})`);
      }
    }
  });

  it('is 0 with a zero base or a zero cap', () => {
    assert.equal(backoffDelayMs(4, 0, 1_000, () => 0.9), 0);
    assert.equal(backoffDelayMs(4, 100, 0, () => 0.9), 0);
  });
});

describe('parseRetryAfterMs', () => {
  const NOW = Date.parse('2025-01-01T00:00:00Z');

  it('reads retry-after-ms, rounding up, and prefers it over retry-after', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '1500' }, NOW), 1500);
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '12.2' }, NOW), 13);
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '0' }, NOW), 0);
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, NOW), 250);
  });

  it('takes the first value of a repeated header', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': ['300', '900'] }, NOW), 300);
    assert.equal(parseRetryAfterMs({ 'retry-after': ['2', '5'] }, NOW), 2000);
  });

  it('reads retry-after as seconds', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after': '2' }, NOW), 2000);
    assert.equal(parseRetryAfterMs({ 'retry-after': '0' }, NOW), 0);
    assert.equal(parseRetryAfterMs({ 'retry-after': '120' }, NOW), 120_000);
    assert.equal(parseRetryAfterMs({ 'retry-after': '1.5' }, NOW), 1500);
  });

  it('reads retry-after as an HTTP date relative to now, never negative', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, NOW), 30_000);
    assert.equal(parseRetryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, NOW), 0);
    assert.equal(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:00 GMT' }, NOW), 0);
    // The obsolete RFC 850 form is still an HTTP-date.
    assert.equal(parseRetryAfterMs({ 'retry-after': 'Wednesday, 01-Jan-25 00:01:00 GMT' }, NOW), 60_000);
  });

  it('is undefined when absent or empty', () => {
    assert.equal(parseRetryAfterMs({}, NOW), undefined);
    assert.equal(parseRetryAfterMs({ 'retry-after': '' }, NOW), undefined);
    assert.equal(parseRetryAfterMs({ 'retry-after': undefined }, NOW), undefined);
    assert.equal(parseRetryAfterMs({ 'retry-after': [] }, NOW), undefined);
  });

  it('is undefined for garbage and negative values', () => {
    for (const value of ['soon', 'abc', '-1', 'Infinity', 'NaN', '   ', '0x10', '1e3', 'hello 1', '1 2', 'Tue 5', '10s']) {
      assert.equal(parseRetryAfterMs({ 'retry-after': value }, NOW), undefined, `retry-after: ${JSON.stringify(value)}`);
    }
  });

  it('falls back to retry-after when retry-after-ms is unreadable', () => {
    for (const value of ['', 'abc', '-5', 'Infinity', ' ']) {
      assert.equal(parseRetryAfterMs({ 'retry-after-ms': value, 'retry-after': '3' }, NOW), 3000, `retry-after-ms: ${JSON.stringify(value)}`);
      assert.equal(parseRetryAfterMs({ 'retry-after-ms': value }, NOW), undefined, `retry-after-ms alone: ${JSON.stringify(value)}`);
    }
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds', () => {
    assert.equal(retryAfterSeconds(1000), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(2500), 3);
    assert.equal(retryAfterSeconds(60_000), 60);
  });

  it('is at least 1, so a client never busy-loops', () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(-500), 1);
  });
});
