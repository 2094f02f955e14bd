// What a client can ask of the caches through its headers, and which requests count as deterministic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheDirective, exactCacheAccess, isDeterministic, type CacheDirective } from '../../../src/cache/cache-directive.ts';

function directive(headers: Record<string, string>): CacheDirective {
  const result = cacheDirective(headers);
  assert.ok(result.ok, `expected a directive for ${JSON.stringify(headers)}`);
  return result.directive;
}

describe('cacheDirective', () => {
  test('no header: read and write, not forced, and no allocation', () => {
    assert.deepEqual(directive({}), { read: true, write: true, force: false });
    assert.equal(cacheDirective({ 'content-type': 'application/json' }), cacheDirective({}));
  });

  test('x-archway-cache: force, refresh, off, any case and spacing', () => {
    assert.deepEqual(directive({ 'x-archway-cache': 'force' }), { read: true, write: true, force: true });
    assert.deepEqual(directive({ 'x-archway-cache': ' Refresh ' }), { read: false, write: true, force: false });
    assert.deepEqual(directive({ 'x-archway-cache': 'OFF' }), { read: false, write: false, force: false });
  });

  test('cache-control: no-cache is refresh, no-store is off, other directives are ignored', () => {
    assert.deepEqual(directive({ 'cache-control': 'no-cache' }), { read: false, write: true, force: false });
    assert.deepEqual(directive({ 'cache-control': 'max-age=0, No-Store' }), { read: false, write: false, force: false });
    assert.deepEqual(directive({ 'cache-control': 'max-age=60, private' }), { read: true, write: true, force: false });
    assert.deepEqual(directive({ 'cache-control': 'no-cache="x"' }), { read: false, write: true, force: false });
  });

  test('values combine, each only taking a permission away', () => {
    assert.deepEqual(directive({ 'x-archway-cache': 'force, refresh' }), { read: false, write: true, force: true });
    assert.deepEqual(directive({ 'x-archway-cache': 'force', 'cache-control': 'no-store' }), { read: false, write: false, force: true });
    assert.deepEqual(directive({ 'x-archway-cache': 'refresh', 'cache-control': 'no-cache' }), { read: false, write: true, force: false });
  });

  test('an unknown or empty x-archway-cache value is a problem naming the header', () => {
    for (const value of ['yes', '', 'force, never', 'no-store']) {
      const result = cacheDirective({ 'x-archway-cache': value });
      assert.equal(result.ok, false, value);
      if (!result.ok) {
        assert.equal(result.problem.header, 'x-archway-cache');
        assert.match(result.problem.message, /expected force, refresh, off/);
      }
    }
  });
});

describe('isDeterministic', () => {
  test('temperature 0 or top_p 0, with one choice', () => {
    assert.equal(isDeterministic({ temperature: 0 }), true);
    assert.equal(isDeterministic({ top_p: 0, temperature: 1 }), true);
    assert.equal(isDeterministic({ temperature: 0, n: 1 }), true);
    assert.equal(isDeterministic({ temperature: 0, n: null }), true);
    assert.equal(isDeterministic({ temperature: 0, n: 3 }), false);
  });

  test('sampling, the default and a seed alone are not deterministic', () => {
    assert.equal(isDeterministic({}), false);
    assert.equal(isDeterministic({ temperature: 0.2 }), false);
    assert.equal(isDeterministic({ seed: 42 }), false);
    assert.equal(isDeterministic({ seed: 42, temperature: 0.7 }), false);
    assert.equal(isDeterministic({ temperature: null }), false);
  });
});

describe('exactCacheAccess', () => {
  const plain = { read: true, write: true, force: false };
  test('deterministic: only deterministic requests, unless forced', () => {
    assert.deepEqual(exactCacheAccess('deterministic', plain, { temperature: 0 }), { read: true, write: true, force: false });
    assert.deepEqual(exactCacheAccess('deterministic', plain, { temperature: 1 }), { read: false, write: false });
    assert.deepEqual(exactCacheAccess('deterministic', { ...plain, force: true }, { temperature: 1 }), { read: true, write: true, force: true });
  });

  test('always: every request, within what the client allows', () => {
    assert.equal(exactCacheAccess('always', plain, {}).read, true);
    assert.deepEqual(exactCacheAccess('always', { read: false, write: true, force: false }, {}), { read: false, write: true, force: false });
    assert.deepEqual(exactCacheAccess('always', { read: false, write: false, force: true }, { temperature: 0 }), { read: false, write: false });
  });
});
