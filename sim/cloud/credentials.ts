import { randomBytes } from 'node:crypto';

export interface KnownCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for temporary (STS / RAM role) credentials: the caller must present it. */
  securityToken?: string;
  /** Epoch ms after which a temporary credential is refused. */
  expiresAt?: number;
  source: 'static' | 'sts' | 'ram-role';
}

const alnum = (bytes: number): string => randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x');

/**
 * Every access key the simulated account knows: the static key from the flags plus the temporary
 * ones handed out by the STS and metadata endpoints. All belong to one account.
 */
export class CredentialStore {
  private readonly byId = new Map<string, KnownCredential>();

  constructor(private readonly now: () => number) {}

  addStatic(accessKeyId: string, accessKeySecret: string): void {
    this.byId.set(accessKeyId, { accessKeyId, accessKeySecret, source: 'static' });
  }

  issueTemporary(source: 'sts' | 'ram-role', ttlMs: number): Required<KnownCredential> {
    const credential = {
      accessKeyId: `STS.${alnum(18)}`,
      accessKeySecret: alnum(30),
      securityToken: `CAIS${alnum(96)}`,
      expiresAt: this.now() + ttlMs,
      source,
    };
    this.byId.set(credential.accessKeyId, credential);
    return credential;
  }

  lookup(accessKeyId: string): KnownCredential | undefined {
    return this.byId.get(accessKeyId);
  }
}
