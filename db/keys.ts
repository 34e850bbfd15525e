import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { NO_POLICY, POLICY_COLUMNS, PolicyScope, putPolicy, toPolicyRules, type PolicyRow, type PolicyRules } from './policies';
import type { Queryable } from './queryable';

/** Cost-allocation tags of a key (string → string). */
export type KeyTags = Readonly<Record<string, string>>;

/**
 * What the gateway knows about a key after authentication. Never holds the secret. The rotation
 * fields are optional so records built elsewhere (tests, benchmarks) need not spell them out.
 */
export interface KeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly teamId: string | null;
  readonly name: string;
  readonly prefix: string;
  readonly expiresAt: Date | null;
  readonly disabled: boolean;
  readonly revoked: boolean;
  readonly tags: KeyTags;
  /** The key whose key-level budgets this key charges: itself, or its rotation lineage's first key. */
  readonly budgetKeyId?: string;
  /** The key this one replaced in a rotation; null for a key issued directly. */
  readonly rotatedFrom?: string | null;
  /** Set while the key is being rotated away: when the rotation started. */
  readonly deprecatedAt?: Date | null;
  /** Set while the key is being rotated away: when it stops working. */
  readonly sunsetAt?: Date | null;
  /** The rotation Schedule rotates the key once it is this old (seconds); null = never. */
  readonly maxAgeSeconds?: number | null;
  /** The key's own rules ({@link NO_POLICY} when none). */
  readonly keyPolicy: PolicyRules;
  /** Its tenant's rules ({@link NO_POLICY} when none). */
  readonly tenantPolicy: PolicyRules;
}

/** A key as the admin API shows it: the record plus its timestamps. */
export interface KeyInfo extends KeyRecord {
  readonly budgetKeyId: string;
  readonly rotatedFrom: string | null;
  readonly deprecatedAt: Date | null;
  readonly sunsetAt: Date | null;
  readonly maxAgeSeconds: number | null;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface IssuedKey {
  readonly id: string;
  /** The secret, shown once. */
  readonly key: string;
  readonly name: string;
  readonly prefix: string;
  readonly tenantId: string;
  readonly createdAt: Date;
}

const KEY_PREFIX = 'sk-sy-';
const PREFIX_LENGTH = KEY_PREFIX.length + 6;

/** SHA-256 of the secret: what the database stores and looks up. */
export function hashKey(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * Issues a new random key (256 bits) and stores only its digest, with its rules when given.
 * Pass a transaction's client when `rules` is set, so the key never exists without them.
 */
export async function issueKey(
  db: Queryable,
  opts: {
    name: string;
    tenantId?: string;
    teamId?: string | null;
    expiresAt?: Date | null;
    tags?: KeyTags;
    rules?: PolicyRules;
    maxAgeSeconds?: number | null;
    /** A rotation's successor: the predecessor's id, and the lineage whose budgets it charges. */
    rotation?: { readonly rotatedFrom: string; readonly budgetKeyId: string };
  },
): Promise<IssuedKey> {
  const id = `key_${randomBytes(8).toString('hex')}`;
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const prefix = key.slice(0, PREFIX_LENGTH);
  const { rows } = await db.query<{ created_at: Date; tenant_id: string }>(
    `INSERT INTO api_keys (id, tenant_id, team_id, name, key_prefix, key_hash, expires_at, metadata, max_age_seconds, rotated_from, budget_key_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11) RETURNING created_at, tenant_id`,
    [
      id,
      opts.tenantId ?? 'default',
      opts.teamId ?? null,
      opts.name,
      prefix,
      hashKey(key),
      opts.expiresAt ?? null,
      JSON.stringify(opts.tags ?? {}),
      opts.maxAgeSeconds ?? null,
      opts.rotation?.rotatedFrom ?? null,
      opts.rotation?.budgetKeyId ?? null,
    ],
  );
  const row = rows[0]!;
  if (opts.rules) await putPolicy(db, { scope: PolicyScope.Key, scopeId: id, tenantId: row.tenant_id, rules: opts.rules });
  return { id, key, name: opts.name, prefix, tenantId: row.tenant_id, createdAt: row.created_at };
}

/** Marks a key revoked. Returns false when no live key has that id. */
export async function revokeKey(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (rowCount ?? 0) > 0;
}

type PrefixedPolicyRow = { [K in keyof PolicyRow as `kp_${K}` | `tp_${K}`]: PolicyRow[K] | null };

interface KeyRow extends PrefixedPolicyRow {
  id: string;
  tenant_id: string;
  team_id: string | null;
  name: string;
  key_prefix: string;
  metadata: Record<string, string>;
  created_at: Date;
  expires_at: Date | null;
  disabled_at: Date | null;
  revoked_at: Date | null;
  budget_key_id: string | null;
  rotated_from: string | null;
  deprecated_at: Date | null;
  sunset_at: Date | null;
  max_age_seconds: number | null;
  kp_present: boolean | null;
  tp_present: boolean | null;
}

const prefixed = (alias: string, p: string): string =>
  POLICY_COLUMNS.split(', ')
    .map((c) => `${alias}.${c} AS ${p}_${c}`)
    .join(', ');

// One round trip for the key and both policies: this runs on every cache miss.
const KEY_SELECT = `SELECT k.id, k.tenant_id, k.team_id, k.name, k.key_prefix, k.metadata, k.created_at, k.expires_at, k.disabled_at, k.revoked_at,
  k.budget_key_id, k.rotated_from, k.deprecated_at, k.sunset_at, k.max_age_seconds,
  kp.scope IS NOT NULL AS kp_present, ${prefixed('kp', 'kp')}, tp.scope IS NOT NULL AS tp_present, ${prefixed('tp', 'tp')}
  FROM api_keys k
  LEFT JOIN policies kp ON kp.scope = 'key' AND kp.scope_id = k.id
  LEFT JOIN policies tp ON tp.scope = 'tenant' AND tp.scope_id = k.tenant_id`;

function policyFrom(r: KeyRow, p: 'kp' | 'tp'): PolicyRules {
  if (!r[`${p}_present`]) return NO_POLICY;
  return toPolicyRules({
    allowed_models: r[`${p}_allowed_models`],
    denied_models: r[`${p}_denied_models`] ?? [],
    max_tokens_cap: r[`${p}_max_tokens_cap`],
    temperature_cap: r[`${p}_temperature_cap`],
    system_prompt: r[`${p}_system_prompt`],
  });
}

function toKeyInfo(r: KeyRow): KeyInfo {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    teamId: r.team_id,
    name: r.name,
    prefix: r.key_prefix,
    expiresAt: r.expires_at,
    disabled: r.disabled_at !== null,
    revoked: r.revoked_at !== null,
    tags: Object.freeze({ ...r.metadata }),
    budgetKeyId: r.budget_key_id ?? r.id,
    rotatedFrom: r.rotated_from,
    deprecatedAt: r.deprecated_at,
    sunsetAt: r.sunset_at,
    maxAgeSeconds: r.max_age_seconds,
    keyPolicy: policyFrom(r, 'kp'),
    tenantPolicy: policyFrom(r, 'tp'),
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
    revokedAt: r.revoked_at,
  };
}

/** A key found by its secret: the record, and whether any budget applies to its requests. */
export interface AuthenticatedKeyRecord extends KeyRecord {
  /**
   * True when a budget exists at the key's level (its rotation lineage's), its team's or its
   * tenant's: the same test as the ledger's `hasApplicableBudget`, made in the key lookup so a
   * cached key answers it without a query per request.
   */
  readonly budgeted: boolean;
}

/** Looks a key up by the digest of its secret, with its and its tenant's rules; null when unknown. */
export async function findKeyByHash(pool: Pool, digest: Buffer): Promise<AuthenticatedKeyRecord | null> {
  const { rows } = await pool.query<KeyRow & { budgeted: boolean }>(
    `SELECT found.*,
       EXISTS (SELECT 1 FROM budgets b
               WHERE (b.scope = 'key' AND b.scope_id = COALESCE(found.budget_key_id, found.id)) OR (b.scope = 'team' AND b.scope_id = found.team_id)
                  OR (b.scope = 'tenant' AND b.scope_id = found.tenant_id)) AS budgeted
     FROM (${KEY_SELECT} WHERE k.key_hash = $1) found`,
    [digest],
  );
  return rows[0] ? { ...toKeyInfo(rows[0]), budgeted: rows[0].budgeted } : null;
}

/** A key by id; `forUpdate` locks its row for the rest of the transaction. Null when unknown. */
export async function getKey(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<KeyInfo | null> {
  const { rows } = await db.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1${opts.forUpdate ? ' FOR UPDATE OF k' : ''}`, [id]);
  return rows[0] ? toKeyInfo(rows[0]) : null;
}

/** A tenant's keys in id order, `limit` at most, after `afterId` (keyset pagination). */
export async function listKeys(db: Queryable, opts: { tenantId: string; teamId?: string; afterId?: string; limit: number }): Promise<KeyInfo[]> {
  const { rows } = await db.query<KeyRow>(
    `${KEY_SELECT} WHERE k.tenant_id = $1 AND ($2::text IS NULL OR k.team_id = $2) AND k.id > $3 ORDER BY k.id LIMIT $4`,
    [opts.tenantId, opts.teamId ?? null, opts.afterId ?? '', opts.limit],
  );
  return rows.map(toKeyInfo);
}

/** Fields of a key an admin may change; `undefined` leaves one as it is. */
export interface KeyPatch {
  readonly name?: string;
  readonly disabled?: boolean;
  readonly expiresAt?: Date | null;
  readonly tags?: KeyTags;
  /** `null` clears it. */
  readonly maxAgeSeconds?: number | null;
}

/** Applies a patch to a key's own columns (rules go through {@link putPolicy}). */
export async function updateKey(db: Queryable, id: string, patch: KeyPatch): Promise<void> {
  await db.query(
    `UPDATE api_keys SET
       name = COALESCE($2, name),
       disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at WHEN $3 THEN COALESCE(disabled_at, now()) ELSE NULL END,
       expires_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE expires_at END,
       metadata = COALESCE($6::jsonb, metadata),
       max_age_seconds = CASE WHEN $7::boolean THEN $8::integer ELSE max_age_seconds END
     WHERE id = $1`,
    [
      id,
      patch.name ?? null,
      patch.disabled ?? null,
      patch.expiresAt !== undefined,
      patch.expiresAt ?? null,
      patch.tags === undefined ? null : JSON.stringify(patch.tags),
      patch.maxAgeSeconds !== undefined,
      patch.maxAgeSeconds ?? null,
    ],
  );
}
