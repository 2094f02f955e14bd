// Transport security end to end: the gateway on HTTPS with a certificate from files, mutual TLS that refuses callers
// without a certificate from the configured CA, and a SIGHUP-style reload that swaps the certificate for new
// connections.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.ts';

const dir = tempDir('archway-tls-');
let certs: TestCertificates;
after(() => dir.remove());
before(() => {
  certs = makeCertificates(dir.path);
});

function get(url: string, options: RequestOptions = {}): Promise<{ status: number; subject: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(certs.caCert), agent: false, ...options }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, subject: String((res.socket as TLSSocket).getPeerCertificate().subject?.CN), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const config = (tls: string) => `server:\n  tls: { ${tls} }\nmodels:\n  m:\n    backends:\n      - provider: simulator\n`;

describe('HTTPS', () => {
  let gw: TestGateway;
  let certFile: string;
  let keyFile: string;
  before(async () => {
    certFile = join(dir.path, 'live.crt');
    keyFile = join(dir.path, 'live.key');
    copyFileSync(certs.serverCert, certFile);
    copyFileSync(certs.serverKey, keyFile);
    gw = await startGateway(config(`cert_file: ${certFile}, key_file: ${keyFile}`));
  });
  after(() => gw.close());

  test('serves over HTTPS with the configured certificate; plain HTTP to the port gets no answer', async () => {
    assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${gw.url}/livez`);
    assert.equal(res.status, 200);
    assert.equal(res.subject, 'archway-test-1');
    await assert.rejects(
      new Promise((resolve, reject) => httpRequest(gw.url.replace('https:', 'http:') + '/livez', resolve).on('error', reject).end()),
    );
  });

  test('a reload reads the files again: new connections get the new certificate', async () => {
    copyFileSync(certs.serverCert2, certFile);
    copyFileSync(certs.serverKey2, keyFile);
    await gw.gateway.reload();
    assert.equal((await get(`${gw.url}/livez`)).subject, 'archway-test-2');
  });

  test('a reload with a broken certificate file is refused; the old certificate keeps serving', async () => {
    writeFileSync(certFile, 'not a certificate');
    await assert.rejects(gw.gateway.reload(), /server\.tls\.cert_file/);
    assert.equal((await get(`${gw.url}/livez`)).status, 200);
  });
});

describe('mutual TLS', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(config(`cert_file: ${certs.serverCert}, key_file: ${certs.serverKey}, client_ca_file: ${certs.caCert}, client_certificates: require`));
  });
  after(() => gw.close());

  test('a caller with a certificate from the CA gets through', async () => {
    const res = await get(`${gw.url}/livez`, { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
    assert.equal(res.status, 200);
  });

  test('a caller without a certificate, or with one from another CA, is refused at the handshake', async () => {
    await assert.rejects(get(`${gw.url}/livez`));
    await assert.rejects(get(`${gw.url}/livez`, { cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey) }));
  });

  test('missing files are a config error naming the field', async () => {
    await assert.rejects(startGateway(config(`cert_file: ${join(dir.path, 'nope.crt')}, key_file: ${certs.serverKey}`)), /server\.tls\.cert_file: cannot read/);
  });
});
