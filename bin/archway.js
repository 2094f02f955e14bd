#!/usr/bin/env node
// The `archway` command. Archway runs on Node.js 24 (TypeScript by type stripping); the project installs that Node
// itself (npm package `node`), so when this file is started by an older system Node it hands over to that one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (major >= 24) {
  await import(main);
} else {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    process.stderr.write(`archway needs Node.js 24 (this is ${process.version}). Run \`npm ci\` in the project to install it.\n`);
    process.exit(1);
  }
  const result = spawnSync(local, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
