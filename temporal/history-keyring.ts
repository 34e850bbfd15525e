import { randomBytes } from 'node:crypto';

/** One AES-256 key of the history keyring. */
export interface HistoryKey {
  /** Stored in every payload it encrypts (`encryption-key-id` metadata); never reused for another key. */
  readonly id: string;
  /** 32 bytes. */
  readonly key: Buffer;
}

/**
 * The keys that encrypt Temporal payloads (workflow history). The first key encrypts; every key
 * decrypts, so a rotation prepends a new key and keeps the old ones until no history needs them.
 */
export interface HistoryKeyring {
  /** The key new payloads are encrypted with (the first of the ring). */
  readonly active: HistoryKey;
  /** Every key of the ring by id, the active one included. */
  readonly byId: ReadonlyMap<string, HistoryKey>;
}

/** Thrown for a keyring that cannot be parsed; the message never contains key material. */
export class HistoryKeyringError extends Error {
  override readonly name = 'HistoryKeyringError';
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

/** Builds a keyring; the first key is the active one. @throws HistoryKeyringError for duplicate ids, bad ids or sizes, or no keys. */
export function historyKeyring(keys: ReadonlyArray<HistoryKey>): HistoryKeyring {
  if (keys.length === 0) throw new HistoryKeyringError('the history keyring has no keys');
  const byId = new Map<string, HistoryKey>();
  for (const key of keys) {
    if (!KEY_ID.test(key.id)) throw new HistoryKeyringError(`history key id "${key.id.slice(0, 64)}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (key.key.length !== KEY_BYTES) throw new HistoryKeyringError(`history key "${key.id}" must be ${KEY_BYTES} bytes (got ${key.key.length})`);
    if (byId.has(key.id)) throw new HistoryKeyringError(`history key id "${key.id}" appears twice`);
    byId.set(key.id, Object.freeze({ id: key.id, key: Buffer.from(key.key) }));
  }
  return Object.freeze({ active: byId.get(keys[0]!.id)!, byId });
}

/**
 * Parses `id:base64key,id2:base64key2` (the `SWITCHYARD_HISTORY_KEYS` format). Entries may also
 * be separated by newlines (the key file format); blank lines and lines starting with `#` are
 * ignored. Keys are standard or URL-safe base64 of exactly 32 bytes.
 *
 * @throws HistoryKeyringError naming the entry (by position and id, never by its key).
 */
export function parseHistoryKeyring(spec: string): HistoryKeyring {
  const entries = spec
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => !line.startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const keys = entries.map((entry, index): HistoryKey => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new HistoryKeyringError(`history key entry ${index + 1} must be "id:base64-key"`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new HistoryKeyringError(`history key "${id}" is not base64`);
    return { id, key: Buffer.from(encoded, 'base64') };
  });
  return historyKeyring(keys);
}

/** The `SWITCHYARD_HISTORY_KEYS` form of a keyring, active key first (for key files and child processes). */
export function formatHistoryKeyring(ring: HistoryKeyring): string {
  const rest = [...ring.byId.values()].filter((key) => key.id !== ring.active.id);
  return [ring.active, ...rest].map((key) => `${key.id}:${key.key.toString('base64')}`).join(',');
}

/** A fresh random key named `<prefix>-<yyyymmdd>-<random>` (ids stay unique across rotations). */
export function generateHistoryKey(prefix = 'hk', now: Date = new Date()): HistoryKey {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return { id: `${prefix}-${day}-${randomBytes(3).toString('hex')}`, key: randomBytes(KEY_BYTES) };
}
