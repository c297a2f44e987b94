import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { CredentialStore } from './credentials.js';
import { CloudApiError, invalidParameter } from './errors.js';
import { isoSeconds } from './ids.js';
import { readBody } from './net.js';
import { Params } from './params.js';
import type { CallCounter } from './state/calls.js';
import type { SelfSignedCert } from './tls-cert.js';

export interface StsOptions {
  /** HOST:PORT; default 127.0.0.1:0. */
  listen?: string;
  /** Write the certificate (PEM) here, for NODE_EXTRA_CA_CERTS. */
  certOut?: string;
}

export interface StsDeps {
  credentials: CredentialStore;
  calls: CallCounter;
  now: () => number;
  cert: SelfSignedCert;
}

const ROLE_ARN = /^acs:ram::(\d+):role\/([A-Za-z0-9._-]+)$/;
const PROVIDER_ARN = /^acs:ram::\d+:oidc-provider\/[A-Za-z0-9._-]+$/;

interface OidcClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
}

function decodeJwt(token: string): OidcClaims {
  const parts = token.split('.');
  if (parts.length !== 3)
    throw invalidParameter('OIDCToken', 'not a JWT (header.payload.signature)', 'InvalidParameter.OIDCToken');
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as OidcClaims;
  } catch {
    throw invalidParameter('OIDCToken', 'the JWT payload is not base64url JSON', 'InvalidParameter.OIDCToken');
  }
}

function assumeRoleWithOidc(deps: StsDeps, params: Params): Record<string, unknown> {
  const roleArn = params.required('RoleArn');
  const providerArn = params.required('OIDCProviderArn');
  const token = params.required('OIDCToken');
  const sessionName = params.optional('RoleSessionName') ?? `podeip-sim-${Date.now()}`;
  const duration = params.int('DurationSeconds', { min: 900, max: 43200 }) ?? 3600;
  const role = ROLE_ARN.exec(roleArn);
  if (!role)
    throw invalidParameter('RoleArn', `"${roleArn}" is not acs:ram::<account>:role/<name>`, 'InvalidParameter.RoleArn');
  if (!PROVIDER_ARN.test(providerArn)) {
    throw invalidParameter(
      'OIDCProviderArn',
      `"${providerArn}" is not acs:ram::<account>:oidc-provider/<name>`,
      'InvalidParameter.OIDCProviderArn',
    );
  }
  const claims = decodeJwt(token);
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= deps.now()) {
    throw new CloudApiError('AuthenticationFail.OIDCToken.Expired', 400, 'The OIDC token has expired.');
  }
  const credential = deps.credentials.issueTemporary('sts', duration * 1000);
  return {
    AssumedRoleUser: {
      AssumedRoleId: `3${role[1]!.slice(0, 17)}:${sessionName}`,
      Arn: `acs:ram::${role[1]}:assumed-role/${role[2]}/${sessionName}`,
    },
    OIDCTokenInfo: {
      Subject: claims.sub ?? '',
      Issuer: claims.iss ?? '',
      ClientIds: Array.isArray(claims.aud) ? claims.aud.join(',') : (claims.aud ?? ''),
    },
    Credentials: {
      AccessKeyId: credential.accessKeyId,
      AccessKeySecret: credential.accessKeySecret,
      SecurityToken: credential.securityToken,
      Expiration: isoSeconds(credential.expiresAt),
    },
  };
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * STS over HTTPS, AssumeRoleWithOIDC only (the RRSA flow). Like the real one it needs no
 * signature: the OIDC token is the proof. The keys it issues are accepted by the OpenAPI.
 */
export function createStsServer(deps: StsDeps): Server {
  return createServer({ cert: deps.cert.certPem, key: deps.cert.keyPem }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'https://sts');
      const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
        : {};
      const params = new Params({ ...Object.fromEntries(url.searchParams), ...form });
      const requestId = randomUUID().toUpperCase();
      const action = params.optional('Action') ?? '';
      try {
        if (action !== 'AssumeRoleWithOIDC') {
          throw new CloudApiError(
            'InvalidAction.NotFound',
            404,
            `Specified api is not found: "${action}" (this STS serves AssumeRoleWithOIDC).`,
          );
        }
        const result = assumeRoleWithOidc(deps, params);
        deps.calls.record(action, 'Success');
        send(res, 200, { RequestId: requestId, ...result });
      } catch (error) {
        if (!(error instanceof CloudApiError)) throw error;
        deps.calls.record(action, error.code);
        send(res, error.status, {
          RequestId: requestId,
          HostId: 'sts.aliyuncs.com',
          Code: error.code,
          Message: error.message,
          Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Sts`,
        });
      }
    })();
  });
}
