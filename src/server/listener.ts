// The socket the gateway listens on: plain HTTP, or HTTPS when the config has `server.tls`, optionally asking callers
// for a client certificate (mutual TLS, for system-to-system callers). The certificate files are read here, checked
// before use, and re-read by `reloadTls` on SIGHUP so a renewed certificate is served without a restart.
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { TLSSocket, type SecureContextOptions } from 'node:tls';
import { ConfigError, type ConfigProblem } from '../config/config-error.ts';
import type { TlsConfig } from '../config/security-schema.ts';
import { createServer as createHttpServer } from './http-builtin.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenerOptions {
  readonly keepAliveTimeout: number;
  readonly headersTimeout: number;
}

// The source named in the ConfigError: these problems come from files the config points to, not from the config.
const SOURCE = '(TLS files)';
// TLS 1.0 and 1.1 are deprecated (RFC 8996); no current client needs them.
const MIN_VERSION = 'TLSv1.2';

type ClientCertificateMode = TlsConfig['client_certificates'];
// The client-certificate mode each HTTPS listener was created with: Node fixes requestCert and rejectUnauthorized
// when the server is created, so a reload may swap certificates but not the mode.
const modes = new WeakMap<Server, ClientCertificateMode>();

/** A node:http server without `tls`, a node:https one with it; both take the same request handler. */
export function createListener(tls: TlsConfig | undefined, options: ListenerOptions, onRequest: RequestHandler): Server {
  const timeouts = { keepAliveTimeout: options.keepAliveTimeout, headersTimeout: options.headersTimeout };
  if (tls === undefined) return createHttpServer(timeouts, onRequest);
  const mode = tls.client_certificates;
  const server = createHttpsServer(
    {
      ...timeouts,
      ...readSecureContext(tls),
      requestCert: mode !== 'none',
      // `optional`: the handshake succeeds without a (valid) certificate; `req.socket.authorized` tells which.
      rejectUnauthorized: mode === 'require',
    },
    onRequest,
  );
  modes.set(server, mode);
  return server;
}

/**
 * Re-reads the certificate, key and client CA and swaps them in: connections made from now on get the new ones,
 * open connections keep theirs. Throws a ConfigError (and changes nothing) when a file is unusable.
 */
export function reloadTls(server: Server, tls: TlsConfig | undefined): void {
  const mode = modes.get(server);
  if (!(server instanceof HttpsServer) || mode === undefined) {
    if (tls === undefined) return;
    throw new ConfigError(SOURCE, [{ path: 'server.tls', message: 'turning TLS on takes a restart; this listener serves plain HTTP' }]);
  }
  if (tls === undefined) {
    throw new ConfigError(SOURCE, [{ path: 'server.tls', message: 'turning TLS off takes a restart; still serving HTTPS' }]);
  }
  if (tls.client_certificates !== mode) {
    throw new ConfigError(SOURCE, [
      { path: 'server.tls.client_certificates', message: `changes only with a restart (running with ${mode}, the config says ${tls.client_certificates})` },
    ]);
  }
  // setSecureContext resets whatever it is not given (the CA, the minimum version), so it gets the full set.
  server.setSecureContext(readSecureContext(tls));
}

export function listenerScheme(server: Server): 'http' | 'https' {
  return server instanceof HttpsServer ? 'https' : 'http';
}

/**
 * The caller's client certificate, when it showed one that the client CA verified; null otherwise. An unverified
 * certificate (possible with `optional`) is not returned: anyone can make one with any subject, so it must not
 * name a caller, not even in a log.
 */
export function clientCertificate(req: IncomingMessage): { subject: string; fingerprint256: string } | null {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return null;
  // X509Certificate puts one RDN per line; one line reads better in logs.
  return { subject: cert.subject.split('\n').join(', '), fingerprint256: cert.fingerprint256 };
}

/**
 * What is wrong with the files of `server.tls` (none: an empty list), without creating anything. For checking a
 * config before starting or reloading, so a bad file fails fast with the config's own error.
 */
export function checkTlsFiles(tls: TlsConfig): ConfigProblem[] {
  return loadTlsFiles(tls).problems;
}

/** The files of `server.tls`, read and checked; throws a ConfigError with every problem found at once. */
function readSecureContext(tls: TlsConfig): SecureContextOptions {
  const { options, problems } = loadTlsFiles(tls);
  if (options === undefined) throw new ConfigError(SOURCE, problems);
  return options;
}

function loadTlsFiles(tls: TlsConfig): { options?: SecureContextOptions; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const cert = readPem('server.tls.cert_file', tls.cert_file, problems);
  const certificate = cert && parseCertificate('server.tls.cert_file', tls.cert_file, cert, problems);
  const key = readPem('server.tls.key_file', tls.key_file, problems);
  const privateKey = key && parseKey('server.tls.key_file', tls.key_file, key, problems);
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push({ path: 'server.tls.key_file', message: `${tls.key_file} is not the key of the certificate in ${tls.cert_file}` });
  }
  let ca: Buffer | undefined;
  if (tls.client_certificates === 'none') {
    // A CA with the mode left at its default looks like mutual TLS but checks nobody: say so rather than run open.
    if (tls.client_ca_file !== undefined) {
      problems.push({
        path: 'server.tls.client_ca_file',
        message: 'is set but client_certificates is none, so no caller is asked for a certificate; set client_certificates: require (or optional), or remove client_ca_file',
      });
    }
  } else if (tls.client_ca_file === undefined) {
    problems.push({ path: 'server.tls.client_ca_file', message: `is required with client_certificates: ${tls.client_certificates} (the CA bundle that signs client certificates)` });
  } else {
    ca = readPem('server.tls.client_ca_file', tls.client_ca_file, problems);
    if (ca) parseCertificate('server.tls.client_ca_file', tls.client_ca_file, ca, problems);
  }
  if (problems.length > 0) return { problems };
  return { options: { cert, key, ...(ca ? { ca } : {}), minVersion: MIN_VERSION }, problems };
}

function readPem(path: string, file: string, problems: ConfigProblem[]): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    problems.push({ path, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return undefined;
  }
  if (!content.includes('-----BEGIN ')) {
    problems.push({ path, message: `${file} is not a PEM file (no "-----BEGIN" line); convert a DER file with openssl` });
    return undefined;
  }
  return content;
}

/** Checks the first certificate of a PEM file (a bundle's others are checked by TLS when used). */
function parseCertificate(path: string, file: string, pem: Buffer, problems: ConfigProblem[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    problems.push({ path, message: `${file} holds no readable PEM certificate (${(err as Error).message})` });
    return undefined;
  }
}

function parseKey(path: string, file: string, pem: Buffer, problems: ConfigProblem[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    problems.push({ path, message: `${file} holds no readable, unencrypted PEM private key (${(err as Error).message})` });
    return undefined;
  }
}
