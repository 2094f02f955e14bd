import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test("loading the gateway and the simulator leaves Node's bundled undici unloaded", async () => {
  // An ES module import of node:http reads its WebSocket, CloseEvent and MessageEvent getters, and they load Node's
  // own copy of undici (the gateway uses the npm one): memory held for good. src/server/http-builtin.ts avoids it.
  const modules = ['../../src/server/gateway.ts', '../../src/providers/simulator/server.ts'].map((m) => new URL(m, import.meta.url).href);
  const script = `
    for (const m of ${JSON.stringify(modules)}) await import(m);
    process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('internal/deps/undici'))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(stdout), []);
});
