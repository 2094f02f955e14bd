import m from 'node:module'; m.enableCompileCache();
const list = process.argv.slice(2);
let prev = 0;
for (const f of list) {
  await import(f.startsWith('src/') ? '/work/main/' + f : f);
  globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); globalThis.gc();
  const u = process.memoryUsage();
  const rss = u.rss / 1048576;
  console.log(f.padEnd(40), rss.toFixed(1), '+' + (rss - prev).toFixed(1), 'heapUsed', (u.heapUsed / 1048576).toFixed(1), 'heapTotal', (u.heapTotal / 1048576).toFixed(1));
  prev = rss;
}
