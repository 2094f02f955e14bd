// node:http for the modules that create servers, taken with getBuiltinModule rather than imported. An ES module
// import of a built-in reads every export to build its namespace, and reading node:http's WebSocket, CloseEvent and
// MessageEvent loads Node's bundled copy of undici: about 14 MB of memory, held for good by a gateway that never
// uses it (test/unit/builtin-footprint.test.ts). Types still come from `import type … from 'node:http'`.
export const { createServer } = process.getBuiltinModule('node:http');
