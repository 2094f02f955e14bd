#!/usr/bin/env node
// The `archway` command. Archway runs on Node.js 24 (TypeScript by type stripping); the project installs that Node
// itself (npm package `node`). Run by an older system Node, this file hands over to that one; `start` also gets the
// runtime flags and malloc setting the gateway is measured with. The child gets the signals sent to this process
// (SIGTERM drains, SIGHUP reloads), so a supervisor can manage the gateway through this launcher.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module'; // not named imports: Node 20 has no enableCompileCache, and must still get here
import { fileURLToPath } from 'node:url';

// The young generation's size: the request path allocates about 28 KB per request and keeps little of it, so a scavenge
// is mostly fixed cost. 8 MB semi-spaces scavenge half as often as 4 MB (measured: about 10 % more req/s under load,
// about 20 MB more peak RSS); Node's default (16 MB) adds little over 8 MB and takes more memory.
// The old generation is let grow to 1.5 times what survived its last full collection, not the up to 4 times V8 picks
// for a heap this small: under sustained load the gateway's heap settled near 60 MB instead of climbing past 100 MB
// (RSS about 195 MB against 230-265 MB after a minute), for a full collection every 10 s or so (about 40 ms of
// mostly incremental work: 0.4 % of the core).
const START_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50'];
// glibc gives threads that allocate arenas of their own (the request log's writer, libuv's pool, V8's helpers), and
// their partly used pages added about 10 MB to peak RSS under load; two arenas measured no slower.
const START_ENV = { MALLOC_ARENA_MAX: '2' };

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const args = process.argv.slice(2);
// Set in the process this file hands over to: it runs as it is, so a setting that does not reach it (an environment
// that drops a variable) can never start another hand-over, and another.
const RELAUNCHED = 'ARCHWAY_RELAUNCHED';
const relaunched = process.env[RELAUNCHED] === '1';
const wantsFlags =
  !relaunched &&
  args[0] === 'start' &&
  (!START_FLAGS.every((f) => process.execArgv.includes(f)) || Object.entries(START_ENV).some(([k, v]) => process.env[k] !== v));

if (major >= 24 && !wantsFlags) {
  // The compile cache keeps the code Node derived from our TypeScript, so later starts need no type stripper: that
  // stripper is a WebAssembly module of about 20 MB that would otherwise stay in the gateway's memory for good.
  module.enableCompileCache();
  await import(main);
} else {
  let node = process.execPath;
  if (major < 24 && relaunched) {
    process.stderr.write(`archway needs Node.js 24, and ${process.execPath} is ${process.version}. Run \`npm ci\` in the project.\n`);
    process.exit(1);
  }
  if (major < 24) {
    node = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
    if (!existsSync(node)) {
      process.stderr.write(`archway needs Node.js 24 (this is ${process.version}). Run \`npm ci\` in the project to install it.\n`);
      process.exit(1);
    }
  }
  const start = args[0] === 'start';
  const child = spawn(node, [...(start ? START_FLAGS : []), fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...(start ? START_ENV : {}), [RELAUNCHED]: '1' },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)));
}
