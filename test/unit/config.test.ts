import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError, type ConfigProblem } from '../../src/config/config-error.ts';
import { QUICKSTART_YAML } from '../../src/config/quickstart.ts';
import { interpolate } from '../../src/config/interpolate.ts';
import { compile, readablePath } from '../../src/validation/compile.ts';
import type { Config } from '../../src/config/schema.ts';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfig(yaml, 'test.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.source, 'test.yaml');
    return [...err.problems];
  }
  assert.fail('the config was accepted');
}

/** A one-model config with one backend written as YAML flow mappings. */
const oneBackend = (backend: string, model = 'm'): string => `models:\n  ${model}:\n    backends:\n      - ${backend}\n`;

describe('parseConfig: valid configs', () => {
  it('parses the quickstart and fills in every default', () => {
    const config = parseConfig(QUICKSTART_YAML, 'quickstart', {});
    assert.deepEqual(Object.keys(config.models), ['gpt-4o-mini', 'text-embedding-3-small']);
    assert.deepEqual(config.server, { host: '127.0.0.1', port: 8080, max_body_bytes: 4 * 1024 * 1024, shutdown_timeout_ms: 30_000, keep_alive_timeout_ms: 65_000 });
    assert.equal(config.data_dir, './data');
    assert.deepEqual(config.logging, { level: 'info', requests: false, content: { store: false } });
    assert.equal(config.routing, 'priority');
    assert.deepEqual(config.reliability.retry, { max_attempts: 3, base_delay_ms: 100, max_delay_ms: 2000, deadline_ms: 60_000 });
    assert.equal(config.reliability.timeouts.idle_ms, 30_000);
    assert.equal(config.reliability.circuit_breaker.half_open_probes, 1);
    const [primary, fallback] = config.models['gpt-4o-mini']!.backends;
    assert.deepEqual([primary!.name, primary!.priority, primary!.weight, primary!.max_concurrency, primary!.model], ['simulator-primary', 0, 1, 256, 'gpt-4o-mini']);
    assert.equal(fallback!.priority, 1);
    // Given simulator settings are kept; the rest are defaulted.
    assert.equal(primary!.simulator!.latency_ms, 20);
    assert.equal(primary!.simulator!.completion_tokens, 16);
    assert.equal(primary!.simulator!.faults.error_rate, 0);
    // A simulator backend with no simulator block gets the default settings.
    const embeddings = config.models['text-embedding-3-small']!.backends[0]!;
    assert.equal(embeddings.simulator!.embedding_dimensions, 256);
    assert.equal(embeddings.model, 'text-embedding-3-small');
  });

  it('returns a deeply frozen config', () => {
    const config = parseConfig(QUICKSTART_YAML, 'quickstart', {});
    const backend = config.models['gpt-4o-mini']!.backends[0]!;
    for (const value of [config, config.server, config.models, backend, backend.simulator!.faults, config.reliability.retry]) assert.ok(Object.isFrozen(value));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
  });

  it("the benchmark's configs are valid and turn on what each says it measures", async () => {
    const env = { MOCK_BASE_URL: 'http://127.0.0.1:18080/v1' };
    const bench = async (name: string): Promise<Config> => parseConfig(await readFile(new URL(`../../bench/${name}.bench.yaml`, import.meta.url), 'utf8'), name, env);
    const features = (c: Config) => ({ policies: c.policies.length > 0, quotas: Object.keys(c.quotas.keys).length > 0, cache: c.cache.exact.enabled });
    assert.deepEqual(features(await bench('default')), { policies: false, quotas: false, cache: false });
    assert.deepEqual(features(await bench('security')), { policies: true, quotas: false, cache: false });
    assert.deepEqual(features(await bench('cost')), { policies: false, quotas: true, cache: true });
    assert.deepEqual(features(await bench('archway')), { policies: true, quotas: true, cache: true });
  });

  it('gives each parse its own objects (defaults are not shared)', () => {
    const a = parseConfig(QUICKSTART_YAML, 'quickstart', {});
    const b = parseConfig(QUICKSTART_YAML, 'quickstart', { ARCHWAY_PORT: '9' });
    assert.notEqual(a.reliability, b.reliability);
    assert.equal(a.server.port, 8080);
    assert.equal(b.server.port, 9);
  });

  it('derives a backend name and upstream model, and the Anthropic base URL', () => {
    const config = parseConfig(
      'models:\n  m:\n    backends:\n      - { provider: anthropic, model: claude-x }\n      - { provider: simulator }\n',
      'test.yaml',
      {},
    );
    const [a, s] = config.models.m!.backends;
    assert.deepEqual([a!.name, a!.model, a!.base_url], ['anthropic-0', 'claude-x', 'https://api.anthropic.com']);
    assert.deepEqual([s!.name, s!.model, s!.base_url], ['simulator-1', 'm', undefined]);
  });

  it('leaves what an override does not name to the global policy', () => {
    const config = parseConfig(
      'models:\n  m:\n    retry: { max_attempts: 2 }\n    backends:\n      - { provider: simulator, timeouts: { idle_ms: 5 } }\n      - { provider: openai, base_url: "http://localhost:1/v1" }\n',
      'test.yaml',
      {},
    );
    const model = config.models.m!;
    assert.deepEqual(model.retry, { max_attempts: 2 });
    assert.deepEqual(model.backends[0]!.timeouts, { idle_ms: 5 });
    assert.equal(model.backends[0]!.circuit_breaker, undefined);
    assert.equal(model.backends[1]!.timeouts, undefined);
    // Only simulator backends get simulator settings.
    assert.equal(model.backends[1]!.simulator, undefined);
  });
});

describe('parseConfig: schema problems name the exact path', () => {
  it('an unknown key', () => {
    assert.deepEqual(problems(oneBackend('{ provider: simulator, priorty: 1 }', 'gpt-4o-mini')), [
      { path: 'models.gpt-4o-mini.backends[0].priorty', message: 'is not a known field (check the spelling)' },
    ]);
    assert.deepEqual(problems('sever: {}\nmodels: {}\n'), [{ path: 'sever', message: 'is not a known field (check the spelling)' }]);
  });

  it('a wrong enum value lists the allowed ones', () => {
    assert.deepEqual(problems(oneBackend('{ provider: opeani }', 'gpt-4o-mini')), [
      { path: 'models.gpt-4o-mini.backends[0].provider', message: 'must be one of: openai, azure-openai, anthropic, simulator' },
    ]);
    assert.deepEqual(problems('routing: fastest\nmodels: {}\n'), [{ path: 'routing', message: 'must be one of: priority, weighted, least-busy' }]);
  });

  it('a wrong type', () => {
    assert.deepEqual(problems('server: { port: "eighty" }\nmodels: {}\n'), [{ path: 'server.port', message: 'must be integer' }]);
    assert.deepEqual(problems(oneBackend('{ provider: simulator, headers: { x-a: [1] } }')), [{ path: 'models.m.backends[0].headers.x-a', message: 'must be string' }]);
  });

  it('a number from ${ENV} (always a string) is taken as a number', () => {
    const config = parseConfig('server: { port: "${PORT}" }\nmodels: {}\n', 'test.yaml', { PORT: '9090' });
    assert.equal(config.server.port, 9090);
  });

  it('a scalar where a section belongs is reported, not replaced', () => {
    assert.deepEqual(problems('server: 8080\nmodels: {}\n'), [{ path: 'server', message: 'must be object' }]);
    assert.deepEqual(problems('server: 8080\nmodels: {}\n', { ARCHWAY_HOST: '0.0.0.0' }), [{ path: 'server', message: 'must be object' }]);
    // An empty section is fine.
    assert.equal(parseConfig('server:\nmodels: {}\n', 't', {}).server.port, 8080);
  });

  it('a missing required field', () => {
    assert.deepEqual(problems(oneBackend('{ name: x }', 'claude-3.5')), [{ path: 'models["claude-3.5"].backends[0].provider', message: 'is required' }]);
    assert.deepEqual(problems('server: {}\n'), [{ path: 'models', message: 'is required' }]);
  });

  it('reports every problem at once, and the message lists them under the source', () => {
    try {
      parseConfig('routing: fastest\nmodels:\n  m:\n    backends: []\n', 'archway.yaml', {});
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      assert.match(err.message, /^invalid config archway\.yaml:\n/);
      assert.match(err.message, /\n {2}- routing: must be one of: priority, weighted, least-busy/);
      assert.match(err.message, /\n {2}- models\.m\.backends: /);
    }
  });

  it('the top level and YAML syntax', () => {
    const top = problems('- a\n- b\n');
    assert.deepEqual(top, [{ path: '', message: 'must be object' }]);
    assert.match(new ConfigError('f', top).message, /\(top level\): must be object/);
    const yaml = problems('a: 1\na: 2\n');
    assert.equal(yaml.length, 1);
    assert.match(yaml[0]!.message, /^YAML: Map keys must be unique at line 2, column 1$/);
  });
});

describe('parseConfig: semantic problems', () => {
  it('azure-openai without api_version', () => {
    assert.deepEqual(problems(oneBackend('{ provider: azure-openai, base_url: "https://x.openai.azure.com" }')), [
      { path: 'models.m.backends[0].api_version', message: 'is required for provider azure-openai (e.g. "2024-10-21")' },
    ]);
  });

  it('openai without base_url', () => {
    assert.deepEqual(problems(oneBackend('{ provider: openai }', 'gpt-4o-mini')), [
      { path: 'models.gpt-4o-mini.backends[0].base_url', message: 'is required for provider openai' },
    ]);
  });

  it('a base_url that is not http(s), not a URL, or has a query', () => {
    assert.deepEqual(problems(oneBackend('{ provider: openai, base_url: "ftp://host/v1" }')), [
      { path: 'models.m.backends[0].base_url', message: 'must be http:// or https://, got ftp:' },
    ]);
    assert.deepEqual(problems(oneBackend('{ provider: openai, base_url: "api.openai.com/v1" }')), [
      { path: 'models.m.backends[0].base_url', message: '"api.openai.com/v1" is not a URL' },
    ]);
    assert.deepEqual(problems(oneBackend('{ provider: openai, base_url: "https://h/v1?x=1" }')), [
      { path: 'models.m.backends[0].base_url', message: 'must not have a query or fragment' },
    ]);
  });

  it('duplicate backend names, given or derived', () => {
    const yaml = 'models:\n  m.v2:\n    backends:\n      - { name: a, provider: simulator }\n      - { name: a, provider: simulator }\n';
    assert.deepEqual(problems(yaml), [{ path: 'models["m.v2"].backends[1].name', message: '"a" is used twice in this model; names must be unique' }]);
    const derived = 'models:\n  m:\n    backends:\n      - { provider: simulator }\n      - { name: simulator-0, provider: simulator }\n';
    assert.deepEqual(problems(derived), [{ path: 'models.m.backends[1].name', message: '"simulator-0" is used twice in this model; names must be unique' }]);
  });

  it('a simulator block on another provider', () => {
    assert.deepEqual(problems(oneBackend('{ provider: openai, base_url: "https://h/v1", simulator: {} }')), [
      { path: 'models.m.backends[0].simulator', message: 'is only for provider simulator' },
    ]);
  });
});

describe('interpolation', () => {
  const KEY = oneBackend('{ provider: openai, base_url: "${BASE:-https://api.openai.com/v1}", api_key: "${OPENAI_KEY}" }', 'gpt-4o-mini');

  it('replaces ${VAR} and uses ${VAR:-default} only when unset or empty', () => {
    const backend = (env: NodeJS.ProcessEnv): Config['models'][string]['backends'][number] => parseConfig(KEY, 't', env).models['gpt-4o-mini']!.backends[0]!;
    assert.deepEqual([backend({ OPENAI_KEY: 'sk-1' }).api_key, backend({ OPENAI_KEY: 'sk-1' }).base_url], ['sk-1', 'https://api.openai.com/v1']);
    assert.equal(backend({ OPENAI_KEY: 'k', BASE: 'https://proxy/v1' }).base_url, 'https://proxy/v1');
    assert.equal(backend({ OPENAI_KEY: 'k', BASE: '' }).base_url, 'https://api.openai.com/v1');
  });

  it('names the path of a missing variable', () => {
    assert.deepEqual(problems(KEY), [{ path: 'models.gpt-4o-mini.backends[0].api_key', message: 'refers to ${OPENAI_KEY}, which is not set in the environment' }]);
    assert.deepEqual(problems(KEY, { OPENAI_KEY: '' }), [{ path: 'models.gpt-4o-mini.backends[0].api_key', message: 'refers to ${OPENAI_KEY}, which is not set in the environment' }]);
  });

  it('$${ is a literal ${, and values never change the structure', () => {
    const env = { A: 'x', EVIL: 'a\nb: c', SLASH: 'v' };
    assert.deepEqual(interpolate({ s: 'pre-$${A}-${A}-$${', list: ['${EVIL}', 7, null, true] }, env), { s: 'pre-${A}-x-${', list: ['a\nb: c', 7, null, true] });
    assert.equal(interpolate('${A:-}', {}), '');
    assert.equal(interpolate('no placeholders $A {A}', {}), 'no placeholders $A {A}');
  });

  it('escapes keys with "/" and "~" in the reported path', () => {
    assert.throws(() => interpolate({ headers: { 'a/b~c': '${NOPE}' } }, {}), (err: Error & { path?: string }) => err.path === 'headers["a/b~c"]');
  });
});

describe('environment overrides', () => {
  const FILE = 'server: { host: 10.0.0.1, port: 9000 }\ndata_dir: /var/lib/x\nmodels: {}\n';

  it('ARCHWAY_HOST, ARCHWAY_PORT and ARCHWAY_DATA_DIR win over the file', () => {
    const config = parseConfig(FILE, 't', { ARCHWAY_HOST: '0.0.0.0', ARCHWAY_PORT: '7000', ARCHWAY_DATA_DIR: '/tmp/d' });
    assert.deepEqual([config.server.host, config.server.port, config.data_dir], ['0.0.0.0', 7000, '/tmp/d']);
    const plain = parseConfig(FILE, 't', {});
    assert.deepEqual([plain.server.host, plain.server.port, plain.data_dir], ['10.0.0.1', 9000, '/var/lib/x']);
    assert.equal(parseConfig('models: {}\n', 't', { ARCHWAY_PORT: '0' }).server.port, 0);
  });

  it('a bad ARCHWAY_PORT is reported', () => {
    for (const bad of ['abc', '70000', '-1', '80.5', '0x50', ' 80', '8e3']) {
      assert.deepEqual(problems(FILE, { ARCHWAY_PORT: bad }), [{ path: 'server.port', message: `ARCHWAY_PORT must be a port number from 0 to 65535, got "${bad}"` }], bad);
    }
  });
});

describe('validation/compile', () => {
  it('readablePath turns JSON pointers into readable paths', () => {
    assert.equal(readablePath(''), '');
    assert.equal(readablePath('/messages/2/role'), 'messages[2].role');
    assert.equal(readablePath('/models/a.b/backends/0/provider'), 'models["a.b"].backends[0].provider');
    assert.equal(readablePath('/models/gpt-4o-mini'), 'models.gpt-4o-mini');
    assert.equal(readablePath('/h/a~1b~0c'), 'h["a/b~c"]');
  });

  it('merges the type errors of a union into one problem', () => {
    const check = compile<unknown>({ type: 'object', properties: { n: { anyOf: [{ type: 'number' }, { type: 'null' }] } } });
    assert.equal(check({ n: 'x' }), false);
    assert.deepEqual(check.errors(), [{ path: 'n', message: 'must be number or null' }]);
    assert.equal(check({ n: null }), true);
    assert.deepEqual(check.errors(), []);
  });
});

describe('parseConfig: security sections', () => {
  it('plain http:// upstreams: loopback is fine, another host needs allow_insecure_http', () => {
    const backend = (url: string, extra = ''): string => `models:\n  m:\n    backends:\n      - { provider: openai, base_url: "${url}"${extra} }\n`;
    for (const url of ['http://127.0.0.1:9/v1', 'http://localhost/v1', 'http://[::1]:8000/v1', 'https://10.0.0.5/v1']) parseConfig(backend(url), 'x.yaml', {});
    assert.match(problems(backend('http://10.0.0.5/v1'))[0]!.message, /plain http:\/\/ to a host that is not loopback \(10\.0\.0\.5\).*allow_insecure_http: true/);
    parseConfig(backend('http://10.0.0.5/v1', ', allow_insecure_http: true'), 'x.yaml', {});
    assert.deepEqual(problems(backend('https://h/v1', ', ca_file: /nonexistent/ca.pem')), [{ path: 'models.m.backends[0].ca_file', message: 'cannot read /nonexistent/ca.pem (ENOENT)' }]);
  });

  const base = 'models:\n  m:\n    backends:\n      - provider: simulator\n';
  it('a policy name used twice, and a policy naming a model that does not exist', () => {
    const yaml = `${base}policies:\n  - { name: p, models: [m] }\n  - { name: p, models: [nope] }\n`;
    assert.throws(() => parseConfig(yaml, 'x.yaml', {}), (err: Error) => {
      assert.match(err.message, /policies\[1\]\.name: "p" is used twice/);
      assert.match(err.message, /policies\[1\]\.models\[0\]: no model "nope" in this config \(models: m\)/);
      return true;
    });
  });

  it('a role outside the six, and a jwks_url that is not http(s)', () => {
    const yaml = `${base}auth:\n  oidc: { issuer: i, audience: a, jwks_url: "file:///etc/passwd", role_map: { g: root } }\n`;
    assert.throws(() => parseConfig(yaml, 'x.yaml', {}), (err: Error) => {
      assert.match(err.message, /auth\.oidc\.role_map\.g: must be one of: admin, operator, team-admin, developer, app, auditor/);
      return true;
    });
    const urlOnly = `${base}auth:\n  oidc: { issuer: i, audience: a, jwks_url: "file:///etc/passwd" }\n`;
    assert.throws(() => parseConfig(urlOnly, 'x.yaml', {}), /auth\.oidc\.jwks_url: must be an http\(s\) URL/);
  });
});

describe('parseConfig: the cost sections', () => {
  const sim = oneBackend('{ provider: simulator }');

  it('`state: redis://…` is short for { url }, with the defaults filled in', () => {
    const config = parseConfig(`state: redis://127.0.0.1:6379\n${sim}`, 't', {});
    assert.deepEqual(config.state, { url: 'redis://127.0.0.1:6379', on_unavailable: 'fail-open', prefix: 'archway:', timeout_ms: 250 });
  });

  it('a state that is not Redis, and an unknown policy, name their paths', () => {
    const found = problems(`state: { url: "http://cache:6379", on_unavailable: sometimes }\n${sim}`);
    assert.deepEqual(found.map((p) => p.path).sort(), ['state.on_unavailable', 'state.url']);
  });

  it('the semantic cache needs an embeddings model of this config', () => {
    assert.deepEqual(problems(`cache: { semantic: { enabled: true } }\n${sim}`), [
      { path: 'cache.semantic.embeddings_model', message: 'is required when the semantic cache is enabled: name a model of this config that serves embeddings' },
    ]);
    assert.deepEqual(problems(`cache: { semantic: { enabled: true, embeddings_model: nope } }\n${sim}`), [
      { path: 'cache.semantic.embeddings_model', message: 'no model "nope" in this config (models: m)' },
    ]);
  });

  it('quotas name real models and sensible numbers; prices are not negative', () => {
    assert.deepEqual(problems(`quotas: { models: { nope: { rpm: 5 } } }\n${sim}`), [{ path: 'quotas.models.nope', message: 'no model "nope" in this config (models: m)' }]);
    const found = problems(`quotas: { teams: { t: { rpm: 0, budget_usd: -1, period: year } } }\npricing: { m: { input: -1, output: 1 } }\n${sim}`);
    assert.deepEqual(found.map((p) => p.path).sort(), ['pricing.m.input', 'quotas.teams.t.budget_usd', 'quotas.teams.t.period', 'quotas.teams.t.rpm']);
  });
});
