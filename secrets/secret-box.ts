import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Format byte of a sealed value: 1 = AES-256-GCM, 12-byte IV, 16-byte tag. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals and opens secrets at rest with AES-256-GCM under the master key. A sealed value is
 * `version ‖ key id (8 bytes) ‖ iv ‖ tag ‖ ciphertext`; `context` (e.g. the row's id) is bound
 * as additional authenticated data, so a sealed value copied into another row does not open.
 */
export class SecretBox {
  private readonly keyId: Buffer;

  /** @throws RangeError unless `key` is 32 bytes. */
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError('the master key must be 32 bytes (AES-256)');
    this.keyId = createHash('sha256').update(key).digest().subarray(0, 8);
  }

  seal(plaintext: string, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), this.keyId, iv, cipher.getAuthTag(), body]);
  }

  /** @throws Error when the value was sealed under another key, for another context, or altered. */
  open(sealed: Buffer, context: string): string {
    if (sealed[0] !== VERSION) throw new Error('unknown sealed-secret format');
    const keyId = sealed.subarray(1, 9);
    if (!keyId.equals(this.keyId)) throw new Error('secret was sealed under another master key');
    const iv = sealed.subarray(9, 9 + IV_BYTES);
    const tag = sealed.subarray(9 + IV_BYTES, 9 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(9 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/** A secret's public identity: the first 16 hex digits of its SHA-256, and its last 4 characters. */
export function secretFingerprint(secret: string): { fingerprint: string; last4: string } {
  return { fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 16), last4: secret.slice(-4) };
}
