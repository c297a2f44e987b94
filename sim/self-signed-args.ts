/**
 * The `openssl req` arguments both simulators use for a throwaway self-signed CA certificate
 * (Node's crypto can parse X.509 but not create it): an EC P-256 key, no passphrase.
 */
export interface SelfSignedRequest {
  commonName: string;
  /** The subjectAltName value, e.g. `IP:127.0.0.1,DNS:localhost`. */
  subjectAltName: string;
  days: number;
  keyFile: string;
  certFile: string;
}

export function selfSignedArgs(request: SelfSignedRequest): string[] {
  return [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(request.days),
    '-subj',
    `/CN=${request.commonName}`,
    '-addext',
    `subjectAltName=${request.subjectAltName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-keyout',
    request.keyFile,
    '-out',
    request.certFile,
  ];
}
