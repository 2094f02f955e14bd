import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRows, encodeRow } from '../../src/stores/sqlite/request-log-wire.ts';
import type { RequestLogRow } from '../../src/stores/request-log.ts';

test('rows survive the trip to the writer thread field for field, nulls and awkward text included', () => {
  const rows: RequestLogRow[] = [
    { id: 'a', ts: 1, keyId: 'key_1', teamId: 'team_1', endpoint: '/v1/chat/completions', model: 'm', backend: 'b', attempts: 2, stream: true, status: 200, latencyMs: 1.5, ttftMs: 0.7, promptTokens: 3, completionTokens: 4, cachedTokens: 2, reasoningTokens: 1, costUsd: 0.0000125, cache: 'exact', savedUsd: 0.5, error: null },
    { id: 'b', ts: 2, keyId: null, teamId: null, endpoint: '/v1/embeddings', model: null, backend: null, attempts: 0, stream: false, status: 401, latencyMs: 0.1, ttftMs: null, promptTokens: null, completionTokens: null, cachedTokens: null, reasoningTokens: null, costUsd: null, cache: null, savedUsd: null, error: 'quote " comma , newline \n unicode é' },
  ];
  assert.deepEqual(decodeRows(`[${rows.map(encodeRow).join(',')}]`), rows);
});
