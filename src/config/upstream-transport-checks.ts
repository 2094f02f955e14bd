// How the gateway reaches its upstreams. Prompts, answers and provider API keys travel on these connections, so a
// plain http:// base URL is refused unless it stays on this machine or the config says the network is trusted, and
// TLS verification is always on: a private CA is trusted through `ca_file`, never by turning verification off.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { BackendConfig, Config } from './schema.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { readablePath } from '../validation/compile.ts';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
// BlockList also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 rule.
LOOPBACK.addAddress('::1', 'ipv6');

/** localhost, 127.0.0.0/8 or ::1, as a URL's `hostname` gives it (IPv6 in brackets, IPv4 already normalised). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

const pointerToken = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Transport problems of every backend, in the format of the other semantic checks. Backends without a base_url
 * (the embedded simulator) and base URLs that do not parse (reported elsewhere) are skipped.
 */
export function checkUpstreamTransport(config: Pick<Config, 'models'>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [modelName, model] of Object.entries(config.models)) {
    model.backends.forEach((backend, i) => {
      const at = readablePath(`/models/${pointerToken(modelName)}/backends/${i}`);
      const url = parseUrl(backend.base_url);
      if (url?.protocol === 'http:' && !isLoopbackHost(url.hostname) && !backend.allow_insecure_http) {
        problems.push({
          path: `${at}.base_url`,
          message: `plain http:// to a host that is not loopback (${url.hostname}) would send prompts and API keys in clear; use https://, or set allow_insecure_http: true on this backend if the network is trusted`,
        });
      }
      if (backend.ca_file !== undefined) {
        const problem = caFileProblem(backend.ca_file);
        if (problem !== undefined) problems.push({ path: `${at}.ca_file`, message: problem });
        else if (url?.protocol === 'http:') {
          problems.push({ path: `${at}.ca_file`, message: 'is only used for https:// upstreams, and base_url is http://; use https:// or remove ca_file' });
        }
      }
    });
  }
  return problems;
}

export interface UpstreamTlsOptions {
  /** Replaces the default root CAs: an upstream behind a private CA is trusted by that CA alone. */
  ca?: Buffer;
  /** Explicit so that NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot turn verification off either. */
  rejectUnauthorized: true;
}

/**
 * TLS options for the undici Pool's `connect` of one backend: `new Pool(origin, { connect: { timeout, ...tls } })`.
 * Reads `ca_file` (checked by checkUpstreamTransport at load; a file gone since then is a ConfigError naming `at`).
 */
export function upstreamTlsOptions(backend: Pick<BackendConfig, 'ca_file'>, at = 'ca_file'): UpstreamTlsOptions {
  if (backend.ca_file === undefined) return { rejectUnauthorized: true };
  const problem = caFileProblem(backend.ca_file);
  if (problem !== undefined) throw new ConfigError('(upstream CA files)', [{ path: at, message: problem }]);
  return { ca: readFileSync(backend.ca_file), rejectUnauthorized: true };
}

function parseUrl(text: string | undefined): URL | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Why a CA bundle cannot be used, or undefined when its (first) certificate reads. */
function caFileProblem(file: string): string | undefined {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    return `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return `${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`;
  try {
    new X509Certificate(pem);
  } catch (err) {
    return `${file} holds no readable PEM certificate (${(err as Error).message})`;
  }
  return undefined;
}
