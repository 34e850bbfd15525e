import { readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import { liveCredentialVersions, type LiveCredentialVersion } from '../db/credentials';
import { refuseReference, type CredentialReferencePolicy } from './credential-reference';
import type { SecretBox } from './secret-box';

/** A credential's usable secrets: the primary first, then the fallback of a rotation in grace. */
export interface ResolvedCredential {
  readonly secrets: readonly string[];
}

/** The AAD a stored version is sealed with: a sealed value only opens in its own row. */
export function credentialContext(credentialId: string, version: number): string {
  return `credential:${credentialId}/${version}`;
}

/** No `file:` reference allowed: the default when no directory is configured. */
const NO_FILE_DIRS: CredentialReferencePolicy = { fileDirs: [] };

/**
 * Resolves provider credentials by id at run time: stored versions are opened with the master
 * key, `env:NAME` reads the environment, `file:/path` reads the file (trimmed). A reference the
 * policy refuses (`credential-reference.ts`; checked again here, so a row stored before the
 * policy, or a link swapped in since, is never read) counts as unresolvable. Results are
 * cached for `ttlMs` (default 2 s) so every instance picks a rotation up within seconds without
 * a database read per upstream call; {@link refresh} skips the cache (after a 401/403).
 * Secrets live only in memory here: never logged, never passed to Temporal.
 */
export class CredentialResolver {
  private readonly cache = new Map<string, { value: ResolvedCredential; expiresAt: number }>();

  /** @param deps.references default: no `file:` reference is read. */
  constructor(
    private readonly deps: {
      pool: Pool;
      box?: SecretBox;
      env?: Readonly<Record<string, string | undefined>>;
      references?: CredentialReferencePolicy;
    },
    private readonly ttlMs = 2_000,
  ) {}

  /** The credential's secrets, cached. Empty `secrets` when it is unknown, deleted or unresolvable. */
  async resolve(id: string, now = Date.now()): Promise<ResolvedCredential> {
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > now) return hit.value;
    return this.refresh(id, now);
  }

  /** Reads the credential again, bypassing (and replacing) the cached entry. */
  async refresh(id: string, now = Date.now()): Promise<ResolvedCredential> {
    const versions = await liveCredentialVersions(this.deps.pool, id);
    const secrets: string[] = [];
    for (const v of versions) {
      const secret = await this.open(id, v);
      if (secret && !secrets.includes(secret)) secrets.push(secret);
    }
    const value = { secrets };
    this.cache.set(id, { value, expiresAt: now + this.ttlMs });
    return value;
  }

  private async open(id: string, v: LiveCredentialVersion): Promise<string | undefined> {
    if (v.kind === 'stored') return v.sealed && this.deps.box ? this.deps.box.open(v.sealed, credentialContext(id, v.version)) : undefined;
    return resolveReference(v.reference ?? '', { env: this.deps.env ?? process.env, policy: this.deps.references ?? NO_FILE_DIRS });
  }
}

/**
 * `env:NAME` or `file:/path` → the value (a file is trimmed); undefined when unset, unreadable
 * or refused by `policy`.
 */
export async function resolveReference(
  reference: string,
  opts: { readonly env: Readonly<Record<string, string | undefined>>; readonly policy: CredentialReferencePolicy },
): Promise<string | undefined> {
  if ((await refuseReference(reference, opts.policy)) !== undefined) return undefined;
  if (reference.startsWith('env:')) return opts.env[reference.slice(4)] || undefined;
  if (reference.startsWith('file:')) {
    try {
      return (await readFile(reference.slice(5), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
