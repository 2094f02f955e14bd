// The listener on its own: HTTPS from certificate files, mutual TLS (require and optional), a certificate swap for
// new connections that leaves open ones alone, and config errors that name the field and the file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { once } from 'node:events';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { checkTlsFiles, clientCertificate, createListener, listenerScheme, reloadTls } from '../../src/server/listener.ts';
import { ConfigError, type ConfigProblem } from '../../src/config/config-error.ts';
import type { TlsConfig } from '../../src/config/security-schema.ts';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.ts';
import { tempDir } from '../helpers/gateway.ts';

const dir = tempDir('archway-listener-');
let certs: TestCertificates;
const fingerprint = (file: string): string => new X509Certificate(readFileSync(file)).fingerprint256;

before(() => {
  certs = makeCertificates(dir.path);
});
after(() => dir.remove());

const TIMEOUTS = { keepAliveTimeout: 60_000, headersTimeout: 30_000 };

interface Listening {
  readonly server: Server;
  readonly url: string;
  /** Requests that reached the handler. */
  readonly handled: () => number;
  close(): Promise<void>;
}

/** A listener whose handler answers with what it knows of the caller's certificate. */
async function listen(tls: TlsConfig | undefined): Promise<Listening> {
  let handled = 0;
  const server = createListener(tls, TIMEOUTS, (req, res) => {
    handled++;
    const socket = req.socket as Partial<TLSSocket>;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ authorized: socket.authorized ?? null, certificate: clientCertificate(req) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `${listenerScheme(server)}://127.0.0.1:${port}/`,
    handled: () => handled,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

interface Answer {
  status: number;
  body: { authorized: boolean | null; certificate: { subject: string; fingerprint256: string } | null };
  /** The server certificate this connection got in its handshake. */
  serverFingerprint: string;
  socket: TLSSocket;
}

// The server certificate of each client connection, noted at its first response: on a reused keep-alive socket
// getPeerX509Certificate() comes back empty, so the handshake's answer is kept here.
const handshakeCertificates = new WeakMap<TLSSocket, string>();

/** An HTTPS GET that trusts the test CA; `options` adds a client certificate or a keep-alive agent. */
function get(url: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(certs.caCert), agent: false, ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      if (!handshakeCertificates.has(socket)) handshakeCertificates.set(socket, socket.getPeerX509Certificate()?.fingerprint256 ?? 'none');
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'], serverFingerprint: handshakeCertificates.get(socket)!, socket });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const withCertificate = (cert: string, key: string): RequestOptions => ({ cert: readFileSync(cert), key: readFileSync(key) });

function tls(extra: Partial<TlsConfig> = {}): TlsConfig {
  return { cert_file: certs.serverCert, key_file: certs.serverKey, client_certificates: 'none', ...extra };
}

/** The problems of the ConfigError that `fn` throws. */
function configProblems(fn: () => unknown): readonly ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('no ConfigError was thrown');
}

describe('createListener', () => {
  it('without tls: plain HTTP', async () => {
    const l = await listen(undefined);
    try {
      assert.equal(listenerScheme(l.server), 'http');
      const status = await new Promise<number>((resolve, reject) => httpRequest(l.url, { agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end(),
      );
      assert.equal(status, 200);
      assert.throws(() => reloadTls(l.server, tls()), /turning TLS on takes a restart/);
      reloadTls(l.server, undefined);
    } finally {
      await l.close();
    }
  });

  it('with tls: HTTPS with the configured certificate; plain HTTP to the port never reaches the handler', async () => {
    const l = await listen(tls());
    try {
      assert.equal(listenerScheme(l.server), 'https');
      const answer = await get(l.url);
      assert.equal(answer.status, 200);
      assert.equal(answer.serverFingerprint, fingerprint(certs.serverCert));
      // No client certificate was asked for.
      assert.equal(answer.body.certificate, null);
      await assert.rejects(new Promise((resolve, reject) => httpRequest(l.url.replace('https:', 'http:'), resolve).on('error', reject).end()));
      assert.equal(l.handled(), 1);
    } finally {
      await l.close();
    }
  });
});

describe('mutual TLS', () => {
  it('require: refuses a caller without a certificate and one from another CA, accepts one from the CA', async () => {
    const l = await listen(tls({ client_certificates: 'require', client_ca_file: certs.caCert }));
    try {
      await assert.rejects(get(l.url));
      await assert.rejects(get(l.url, withCertificate(certs.strangerCert, certs.strangerKey)));
      assert.equal(l.handled(), 0);
      const answer = await get(l.url, withCertificate(certs.clientCert, certs.clientKey));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { authorized: true, certificate: { subject: 'CN=billing-service', fingerprint256: fingerprint(certs.clientCert) } });
    } finally {
      await l.close();
    }
  });

  it('optional: serves callers without a certificate; only a verified one is reported', async () => {
    const l = await listen(tls({ client_certificates: 'optional', client_ca_file: certs.caCert }));
    try {
      assert.deepEqual((await get(l.url)).body, { authorized: false, certificate: null });
      // Served, but a certificate from an unknown CA names nobody.
      assert.deepEqual((await get(l.url, withCertificate(certs.strangerCert, certs.strangerKey))).body, { authorized: false, certificate: null });
      const verified = await get(l.url, withCertificate(certs.clientCert, certs.clientKey));
      assert.deepEqual(verified.body.certificate, { subject: 'CN=billing-service', fingerprint256: fingerprint(certs.clientCert) });
    } finally {
      await l.close();
    }
  });
});

describe('reloadTls', () => {
  it('new connections get the new certificate; an open keep-alive connection keeps working', async () => {
    const certFile = join(dir.path, 'live.crt');
    const keyFile = join(dir.path, 'live.key');
    copyFileSync(certs.serverCert, certFile);
    copyFileSync(certs.serverKey, keyFile);
    const live = tls({ cert_file: certFile, key_file: keyFile });
    const l = await listen(live);
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(certs.caCert) });
    try {
      const before = await get(l.url, { agent });
      assert.equal(before.serverFingerprint, fingerprint(certs.serverCert));

      copyFileSync(certs.serverCert2, certFile);
      copyFileSync(certs.serverKey2, keyFile);
      reloadTls(l.server, live);

      const fresh = await get(l.url);
      assert.equal(fresh.serverFingerprint, fingerprint(certs.serverCert2));
      const kept = await get(l.url, { agent });
      assert.equal(kept.socket, before.socket, 'the keep-alive connection was not reused');
      assert.deepEqual([kept.status, kept.serverFingerprint], [200, fingerprint(certs.serverCert)]);
    } finally {
      agent.destroy();
      await l.close();
    }
  });

  it('an unusable file is refused and the current certificate keeps serving', async () => {
    const certFile = join(dir.path, 'broken-later.crt');
    copyFileSync(certs.serverCert, certFile);
    const live = tls({ cert_file: certFile });
    const l = await listen(live);
    try {
      writeFileSync(certFile, 'not a certificate');
      assert.deepEqual(configProblems(() => reloadTls(l.server, live)).map((p) => p.path), ['server.tls.cert_file']);
      assert.equal((await get(l.url)).serverFingerprint, fingerprint(certs.serverCert));
    } finally {
      await l.close();
    }
  });

  it('the client certificate mode, and TLS itself, change only with a restart', async () => {
    const l = await listen(tls());
    try {
      const [problem] = configProblems(() => reloadTls(l.server, tls({ client_certificates: 'require', client_ca_file: certs.caCert })));
      assert.equal(problem!.path, 'server.tls.client_certificates');
      assert.match(problem!.message, /changes only with a restart \(running with none/);
      assert.throws(() => reloadTls(l.server, undefined), /turning TLS off takes a restart/);
      // Still refusing nobody: the mode did not change.
      assert.equal((await get(l.url)).status, 200);
    } finally {
      await l.close();
    }
  });
});

describe('TLS config errors name the field and the file', () => {
  const create = (config: TlsConfig) => (): Server => createListener(config, TIMEOUTS, () => {});

  it('a missing file', () => {
    const missing = join(dir.path, 'nope.crt');
    const problems = configProblems(create(tls({ cert_file: missing })));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'server.tls.cert_file');
    assert.match(problems[0]!.message, new RegExp(`cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOENT\\)`));
  });

  it('files that are not PEM, or PEM of the wrong thing', () => {
    const garbage = join(dir.path, 'garbage.pem');
    writeFileSync(garbage, 'hello, not a PEM file\n');
    const bad = join(dir.path, 'bad.pem');
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const problems = configProblems(create(tls({ cert_file: bad, key_file: garbage })));
    assert.deepEqual(problems.map((p) => p.path), ['server.tls.cert_file', 'server.tls.key_file']);
    assert.match(problems[0]!.message, /bad\.pem holds no readable PEM certificate/);
    assert.match(problems[1]!.message, /garbage\.pem is not a PEM file/);
    // A certificate where the key should be.
    assert.match(configProblems(create(tls({ key_file: certs.caCert })))[0]!.message, /holds no readable, unencrypted PEM private key/);
  });

  it('a key that does not belong to the certificate', () => {
    const [problem] = configProblems(create(tls({ key_file: certs.serverKey2 })));
    assert.equal(problem!.path, 'server.tls.key_file');
    assert.match(problem!.message, /is not the key of the certificate in/);
  });

  it('client_ca_file: required for require and optional, refused with none', () => {
    for (const mode of ['require', 'optional'] as const) {
      assert.deepEqual(configProblems(create(tls({ client_certificates: mode }))).map((p) => p.path), ['server.tls.client_ca_file']);
    }
    const [problem] = configProblems(create(tls({ client_ca_file: certs.caCert })));
    assert.equal(problem!.path, 'server.tls.client_ca_file');
    assert.match(problem!.message, /client_certificates is none/);
    assert.match(configProblems(create(tls({ client_certificates: 'require', client_ca_file: join(dir.path, 'no-ca.pem') })))[0]!.message, /cannot read .*no-ca\.pem/);
  });

  it('checkTlsFiles reports the same problems without creating a listener', () => {
    assert.deepEqual(checkTlsFiles(tls()), []);
    assert.deepEqual(checkTlsFiles(tls({ key_file: certs.serverKey2, client_certificates: 'require' })).map((p) => p.path), ['server.tls.key_file', 'server.tls.client_ca_file']);
  });
});
