import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CredentialStore, KnownCredential } from './credentials.js';
import { CloudApiError } from './errors.js';

/** One HTTP request as the OpenAPI server received it. */
export interface RawApiRequest {
  method: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** A request whose signature checked out. */
export interface AuthenticatedRequest {
  action: string;
  version: string;
  accessKeyId: string;
  signatureVersion: 'ACS3-HMAC-SHA256' | 'HMAC-SHA1';
  /** API parameters only (signature and protocol fields removed). */
  params: Record<string, string>;
}

const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/** RFC 3986 percent-encoding, as both signature versions canonicalise values. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const V1_PROTOCOL_KEYS = new Set([
  'Action',
  'Format',
  'Version',
  'Timestamp',
  'SignatureNonce',
  'SignatureMethod',
  'SignatureVersion',
  'AccessKeyId',
  'SecurityToken',
  'Signature',
  'SignatureType',
  'BearerToken',
]);

function formParams(req: RawApiRequest): Record<string, string> {
  const type = req.headers['content-type'] ?? '';
  if (req.body.length === 0 || !type.startsWith('application/x-www-form-urlencoded')) return {};
  return Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
}

const incomplete = (why: string): CloudApiError =>
  new CloudApiError('IncompleteSignature', 400, `The request signature does not conform to Aliyun standards: ${why}`);

const mismatch = (stringToSign: string): CloudApiError =>
  new CloudApiError(
    'SignatureDoesNotMatch',
    400,
    `Specified signature does not match our calculation. server string to sign is:${stringToSign}`,
  );

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies ACS3-HMAC-SHA256 (the SDK's default) and the legacy HMAC-SHA1 query signature, the
 * caller's security token for temporary keys, timestamp skew and nonce reuse.
 */
export class SignatureVerifier {
  private readonly seenNonces = new Map<string, number>();

  constructor(
    private readonly credentials: CredentialStore,
    private readonly now: () => number,
  ) {}

  verify(req: RawApiRequest): AuthenticatedRequest {
    const authorization = req.headers['authorization'];
    if (authorization?.startsWith('ACS3-')) return this.verifyAcs3(req, authorization);
    if (req.query['Signature'] !== undefined) return this.verifyV1(req);
    throw incomplete('neither an Authorization header nor a Signature parameter is present');
  }

  private verifyAcs3(req: RawApiRequest, authorization: string): AuthenticatedRequest {
    const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]*),Signature=([0-9a-f]+)$/.exec(
      authorization,
    );
    if (!match)
      throw incomplete(
        'the Authorization header must read "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=.."',
      );
    const [, accessKeyId, signedHeaderList, signature] = match as unknown as [string, string, string, string];
    const action = req.headers['x-acs-action'];
    const version = req.headers['x-acs-version'];
    if (!action) throw new CloudApiError('MissingParameter', 400, 'The header "x-acs-action" is missing.');
    if (!version) throw new CloudApiError('MissingParameter', 400, 'The header "x-acs-version" is missing.');
    const credential = this.known(accessKeyId);
    this.checkSecurityToken(credential, req.headers['x-acs-security-token']);

    const signedHeaders = signedHeaderList.split(';');
    for (const required of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
      if (!signedHeaders.includes(required)) throw incomplete(`header "${required}" must be signed`);
    }
    const bodyHash = createHash('sha256').update(req.body).digest('hex');
    if (req.headers['x-acs-content-sha256'] !== bodyHash) {
      throw new CloudApiError(
        'InvalidContentSha256',
        400,
        'The x-acs-content-sha256 header does not match the SHA-256 of the body.',
      );
    }
    const canonicalQuery = Object.keys(req.query)
      .sort()
      .map((k) => `${percentEncode(k)}=${percentEncode(req.query[k]!)}`)
      .join('&');
    const canonicalHeaders = signedHeaders.map((h) => `${h}:${(req.headers[h] ?? '').trim()}\n`).join('');
    const canonicalRequest = [req.method, '/', canonicalQuery, canonicalHeaders, signedHeaderList, bodyHash].join('\n');
    const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const expected = createHmac('sha256', credential.accessKeySecret).update(stringToSign).digest('hex');
    if (!sameText(expected, signature)) throw mismatch(stringToSign);

    this.checkFreshness(req.headers['x-acs-date'], req.headers['x-acs-signature-nonce'], 'x-acs-date');
    return {
      action,
      version,
      accessKeyId,
      signatureVersion: 'ACS3-HMAC-SHA256',
      params: { ...req.query, ...formParams(req) },
    };
  }

  private verifyV1(req: RawApiRequest): AuthenticatedRequest {
    const q = req.query;
    const accessKeyId = q['AccessKeyId'];
    if (!accessKeyId) throw new CloudApiError('MissingAccessKeyId', 400, 'The parameter "AccessKeyId" is missing.');
    for (const name of ['Action', 'Version', 'Timestamp', 'SignatureNonce'] as const) {
      if (!q[name])
        throw new CloudApiError(
          'MissingParameter',
          400,
          `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
        );
    }
    if (q['SignatureMethod'] !== 'HMAC-SHA1') throw incomplete('SignatureMethod must be HMAC-SHA1');
    if (q['SignatureVersion'] !== '1.0') throw incomplete('SignatureVersion must be 1.0');
    const credential = this.known(accessKeyId);
    this.checkSecurityToken(credential, q['SecurityToken']);

    const form = formParams(req);
    const signed: Record<string, string> = { ...q, ...form };
    delete signed['Signature'];
    const canonical = Object.keys(signed)
      .sort()
      .map((k) => `${percentEncode(k)}=${percentEncode(signed[k]!)}`)
      .join('&');
    const stringToSign = `${req.method}&${percentEncode('/')}&${percentEncode(canonical)}`;
    const expected = createHmac('sha1', `${credential.accessKeySecret}&`).update(stringToSign).digest('base64');
    if (!sameText(expected, q['Signature']!)) throw mismatch(stringToSign);

    this.checkFreshness(q['Timestamp'], q['SignatureNonce'], 'Timestamp');
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...q, ...form })) if (!V1_PROTOCOL_KEYS.has(k)) params[k] = v;
    return { action: q['Action']!, version: q['Version']!, accessKeyId, signatureVersion: 'HMAC-SHA1', params };
  }

  private known(accessKeyId: string): KnownCredential {
    const credential = this.credentials.lookup(accessKeyId);
    if (!credential) throw new CloudApiError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.');
    return credential;
  }

  private checkSecurityToken(credential: KnownCredential, presented: string | undefined): void {
    if (credential.securityToken === undefined) return;
    if (!presented)
      throw new CloudApiError(
        'InvalidSecurityToken.Missing',
        400,
        'A temporary access key needs its SecurityToken (x-acs-security-token).',
      );
    if (presented !== credential.securityToken) {
      throw new CloudApiError(
        'InvalidSecurityToken.MismatchWithAccessKey',
        400,
        'Specified SecurityToken mismatch with the AccessKey.',
      );
    }
    if (credential.expiresAt !== undefined && credential.expiresAt <= this.now()) {
      throw new CloudApiError('InvalidSecurityToken.Expired', 400, 'Specified SecurityToken is expired.');
    }
  }

  private checkFreshness(date: string | undefined, nonce: string | undefined, dateField: string): void {
    const at = date ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(at))
      throw new CloudApiError(
        'InvalidTimeStamp.Format',
        400,
        `The ${dateField} "${date ?? ''}" is not an ISO 8601 UTC time.`,
      );
    const now = this.now();
    if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) {
      throw new CloudApiError(
        'InvalidTimeStamp.Expired',
        400,
        `The ${dateField} ${date} is more than 15 minutes away from the server time.`,
      );
    }
    if (!nonce) throw new CloudApiError('MissingSignatureNonce', 400, 'The signature nonce is missing.');
    for (const [seen, expiry] of this.seenNonces) {
      if (expiry > now) break;
      this.seenNonces.delete(seen);
    }
    if (this.seenNonces.has(nonce))
      throw new CloudApiError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.');
    this.seenNonces.set(nonce, now + MAX_CLOCK_SKEW_MS);
  }
}
