import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compile } from '../../src/validation/compile.ts';

const run = promisify(execFile);

test('compiling every schema of the gateway leaves objects built key by key sharing one shape', async () => {
  // V8 remembers each first key ever added to an empty object on one shared map, up to 1,536 of them. Ajv's code
  // optimiser used them all up on the config schema, after which every such object (Node's tick objects, headers)
  // got a shape of its own and all code touching them went megamorphic. %HaveSameMap tells from outside.
  const gateway = new URL('../../src/server/gateway.ts', import.meta.url).href;
  const script = `
    await import(${JSON.stringify(gateway)});
    const built = () => { const o = {}; o.aKeyNoCodeUses = 1; o.another = 2; return o; };
    process.stdout.write(String(%HaveSameMap(built(), built())));`;
  const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script]);
  assert.equal(stdout, 'true');
});

test('a transient schema is forgotten once compiled: another one may reuse its $id', () => {
  const first = compile<unknown>({ $id: 'https://example.com/answer', type: 'object', required: ['a'] }, { transient: true });
  const second = compile<unknown>({ $id: 'https://example.com/answer', type: 'object', required: ['b'] }, { transient: true });
  assert.equal(first({ a: 1 }), true);
  assert.equal(second({ a: 1 }), false);
  assert.equal(second({ b: 1 }), true);
  assert.deepEqual(second.errors(), []);
});
