import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SimConfigError } from './errors.js';
import { selfSignedArgs } from '../self-signed-args.js';

export interface SelfSignedCert {
  certPem: string;
  keyPem: string;
}

/**
 * A fresh self-signed certificate for 127.0.0.1 (SAN IP). Node's crypto can parse X.509 but not
 * create it, so this runs the system `openssl` once at startup.
 */
export async function selfSignedLoopbackCert(commonName: string): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-sim-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)(
      'openssl',
      selfSignedArgs({ commonName, subjectAltName: 'IP:127.0.0.1', days: 7, keyFile: key, certFile: cert }),
    );
    return { certPem: await readFile(cert, 'utf8'), keyPem: await readFile(key, 'utf8') };
  } catch (cause) {
    throw new SimConfigError(
      `cannot create the STS TLS certificate with openssl (is it installed?): ${(cause as Error).message}`,
      { cause },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
