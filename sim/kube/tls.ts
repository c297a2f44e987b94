/**
 * A throwaway self-signed certificate for `--tls`, made with the openssl CLI (Node cannot mint
 * X.509 certificates). kubectl only sends a bearer token over HTTPS, so token auth with kubectl
 * needs this; the certificate doubles as the CA in the written kubeconfig.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodeipError } from '../../lib/errors.js';
import { selfSignedArgs } from '../self-signed-args.js';

export interface Certificate {
  cert: string;
  key: string;
}

export class TlsSetupError extends PodeipError {
  constructor(cause: unknown) {
    super(
      'KUBE_SIM_TLS_SETUP',
      `cannot create a self-signed certificate with openssl for --tls: ${(cause as Error).message ?? cause}; install openssl or run without --tls`,
      { cause },
    );
  }
}

export function selfSignedCertificate(host: string): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'podeip-sim-kube-tls-'));
  const san = [isIP(host) ? `IP:${host}` : `DNS:${host}`, 'IP:127.0.0.1', 'DNS:localhost'].join(',');
  try {
    execFileSync(
      'openssl',
      selfSignedArgs({
        commonName: 'podeip-sim-kube',
        subjectAltName: san,
        days: 30,
        keyFile: join(dir, 'key.pem'),
        certFile: join(dir, 'cert.pem'),
      }),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    throw new TlsSetupError(err);
  }
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}
