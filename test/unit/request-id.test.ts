import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRequestId } from '../../src/server/request-id.ts';

test('request ids are UUIDv7: version 7, RFC 4122 variant, time-ordered across milliseconds, unique', () => {
  const a = newRequestId(1_700_000_000_000);
  const b = newRequestId(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b, 'a later millisecond sorts later');
  assert.equal(a.slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
  const many = new Set(Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_000)));
  assert.equal(many.size, 1000);
});
