// Upstream transport rules: plain http:// only to loopback unless allow_insecure_http says the network is trusted, a
// ca_file that exists and holds a certificate, and TLS options that verify certificates against that CA.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { checkUpstreamTransport, isLoopbackHost, upstreamTlsOptions } from '../../src/config/upstream-transport-checks.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import type { BackendConfig, Config } from '../../src/config/schema.ts';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.ts';
import { tempDir } from '../helpers/gateway.ts';

const dir = tempDir('archway-upstream-tls-');
let certs: TestCertificates;
before(() => {
  certs = makeCertificates(dir.path);
});
after(() => dir.remove());

function backend(extra: Partial<BackendConfig>): BackendConfig {
  return { provider: 'openai', priority: 0, weight: 1, max_concurrency: 1, queue_timeout_ms: 1, allow_insecure_http: false, ...extra };
}

const oneModel = (...backends: BackendConfig[]): Pick<Config, 'models'> => ({ models: { m: { backends } } });
const problemsFor = (extra: Partial<BackendConfig>) => checkUpstreamTransport(oneModel(backend(extra)));

describe('checkUpstreamTransport: plain http://', () => {
  it('loopback in any spelling is allowed', () => {
    for (const url of [
      'http://127.0.0.1:8000/v1',
      'http://127.8.9.10/v1',
      'http://127.1/v1',
      'http://localhost/v1',
      'http://LOCALHOST.:11434/v1',
      'http://[::1]:8000/v1',
      'http://[0:0:0:0:0:0:0:1]/v1',
      'http://[::ffff:127.0.0.1]/v1',
    ]) {
      assert.deepEqual(problemsFor({ base_url: url }), [], url);
    }
  });

  it('any other host is refused, with the reason and both fixes', () => {
    assert.deepEqual(problemsFor({ base_url: 'http://10.0.0.5:8000/v1' }), [
      {
        path: 'models.m.backends[0].base_url',
        message:
          'plain http:// to a host that is not loopback (10.0.0.5) would send prompts and API keys in clear; use https://, or set allow_insecure_http: true on this backend if the network is trusted',
      },
    ]);
    for (const url of ['http://api.example.com/v1', 'http://0.0.0.0/v1', 'http://[::ffff:10.0.0.5]/v1', 'http://localhost.example.com/v1', 'http://128.0.0.1/v1']) {
      assert.equal(problemsFor({ base_url: url }).length, 1, url);
    }
  });

  it('allow_insecure_http: true accepts it; https:// needs nothing', () => {
    assert.deepEqual(problemsFor({ base_url: 'http://10.0.0.5/v1', allow_insecure_http: true }), []);
    assert.deepEqual(problemsFor({ base_url: 'https://10.0.0.5/v1' }), []);
    assert.deepEqual(problemsFor({ base_url: 'https://api.openai.com/v1' }), []);
  });

  it('names the model and backend; skips backends without a base URL and URLs reported elsewhere', () => {
    const config: Pick<Config, 'models'> = {
      models: {
        'a.b': { backends: [backend({ provider: 'simulator' }), backend({ base_url: 'not a url' }), backend({ base_url: 'http://10.1.2.3/v1' })] },
      },
    };
    assert.deepEqual(checkUpstreamTransport(config).map((p) => p.path), ['models["a.b"].backends[2].base_url']);
  });

  it('isLoopbackHost takes hostnames as URL gives them', () => {
    assert.deepEqual(['localhost', '127.0.0.1', '[::1]', 'example.com', '10.0.0.1', '[::2]'].map(isLoopbackHost), [true, true, true, false, false, false]);
  });
});

describe('checkUpstreamTransport: ca_file', () => {
  it('a missing file, or one without a certificate, is a problem naming the field', () => {
    const missing = join(dir.path, 'missing-ca.pem');
    assert.deepEqual(problemsFor({ base_url: 'https://h/v1', ca_file: missing }), [
      { path: 'models.m.backends[0].ca_file', message: `cannot read ${missing} (ENOENT)` },
    ]);
    const garbage = join(dir.path, 'garbage-ca.pem');
    writeFileSync(garbage, 'not a certificate');
    assert.match(problemsFor({ base_url: 'https://h/v1', ca_file: garbage })[0]!.message, /holds no PEM certificate/);
    // A private key is PEM, but not a CA.
    assert.match(problemsFor({ base_url: 'https://h/v1', ca_file: certs.serverKey })[0]!.message, /holds no PEM certificate/);
  });

  it('a readable CA is fine on https://, and pointless on http://', () => {
    assert.deepEqual(problemsFor({ base_url: 'https://h/v1', ca_file: certs.caCert }), []);
    assert.deepEqual(problemsFor({ base_url: 'http://127.0.0.1/v1', ca_file: certs.caCert }).map((p) => p.path), ['models.m.backends[0].ca_file']);
  });
});

describe('upstreamTlsOptions', () => {
  it('always verifies; adds the CA of ca_file', () => {
    assert.deepEqual(upstreamTlsOptions({}), { rejectUnauthorized: true });
    assert.deepEqual(upstreamTlsOptions({ ca_file: certs.caCert }), { ca: readFileSync(certs.caCert), rejectUnauthorized: true });
    assert.throws(
      () => upstreamTlsOptions({ ca_file: join(dir.path, 'gone.pem') }, 'models.m.backends[0].ca_file'),
      (err: unknown) => err instanceof ConfigError && err.problems[0]!.path === 'models.m.backends[0].ca_file',
    );
  });

  it('an upstream behind a private CA: reachable with its ca_file, refused without it', async () => {
    const upstream = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (_req, res) => res.end('ok'));
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const origin = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const trusting = new Pool(origin, { connect: { timeout: 5_000, ...upstreamTlsOptions({ ca_file: certs.caCert }) } });
    const plain = new Pool(origin, { connect: { timeout: 5_000, ...upstreamTlsOptions({}) } });
    try {
      const res = await trusting.request({ path: '/', method: 'GET' });
      assert.equal(await res.body.text(), 'ok');
      await assert.rejects(plain.request({ path: '/', method: 'GET' }), /certificate/i);
    } finally {
      await Promise.all([trusting.close(), plain.close()]);
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});
