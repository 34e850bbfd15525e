import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { HistoryKeyring } from './history-keyring';

/** `encoding` metadata of an encrypted payload (the value Temporal's encryption samples use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the keyring key that encrypted the payload. */
export const ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ENCRYPTED_ENCODING_BYTES = encoder.encode(ENCRYPTED_ENCODING);

/** Why a payload could not be decrypted; never carries payload bytes or key material. */
export const HistoryCodecErrorCode = {
  /** The payload names a key id the keyring does not hold. */
  UnknownKey: 'unknown_key',
  /** Metadata or ciphertext is structurally wrong (missing key id, too short). */
  Malformed: 'malformed',
  /** AES-GCM authentication failed: tampered bytes, or another key under the same id. */
  AuthFailed: 'auth_failed',
} as const;
export type HistoryCodecErrorCode = (typeof HistoryCodecErrorCode)[keyof typeof HistoryCodecErrorCode];

/** A payload that cannot be decrypted. */
export class HistoryCodecError extends Error {
  override readonly name = 'HistoryCodecError';
  constructor(
    message: string,
    readonly code: HistoryCodecErrorCode,
    /** The payload's key id, when it has one. */
    readonly keyId: string | undefined,
  ) {
    super(message);
  }
}

/**
 * AES-256-GCM payload codec for workflow history. Each payload is serialised whole (metadata
 * included, so the original `encoding` is hidden too) and replaced by
 * `{ encoding: binary/encrypted, encryption-key-id: <id> }` + `iv(12) | ciphertext | tag(16)`.
 * The key id is bound as additional authenticated data, so relabelling a payload with another
 * id fails authentication.
 *
 * Decoding uses the payload's own key id, so any key of the ring decrypts; payloads that are not
 * `binary/encrypted` (histories written before encryption was on) pass through unchanged.
 *
 * Runs outside the workflow sandbox (client and worker), so node:crypto is fine here.
 */
export class HistoryEncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: HistoryKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keyring.active;
    const keyId = encoder.encode(id);
    return payloads.map((payload) => ({
      metadata: { [METADATA_ENCODING_KEY]: ENCRYPTED_ENCODING_BYTES, [ENCRYPTION_KEY_ID]: keyId },
      data: seal(key, id, temporal.api.common.v1.Payload.encode(payload).finish()),
    }));
  }

  /** @throws HistoryCodecError for an unknown key id, a malformed or a tampered payload. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const idBytes = payload.metadata?.[ENCRYPTION_KEY_ID];
      if (!idBytes?.length) throw new HistoryCodecError(`encrypted payload without ${ENCRYPTION_KEY_ID} metadata`, HistoryCodecErrorCode.Malformed, undefined);
      const id = decoder.decode(idBytes);
      const key = this.keyring.byId.get(id);
      if (!key) {
        throw new HistoryCodecError(
          `payload encrypted with history key "${id}", which is not in the keyring (add it back to SWITCHYARD_HISTORY_KEYS)`,
          HistoryCodecErrorCode.UnknownKey,
          id,
        );
      }
      const decoded = temporal.api.common.v1.Payload.decode(open(key.key, id, payload.data ?? new Uint8Array()));
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

function seal(key: Buffer, keyId: string, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, keyId: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new HistoryCodecError(`encrypted payload too short (key "${keyId}")`, HistoryCodecErrorCode.Malformed, keyId);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new HistoryCodecError(
      `encrypted payload failed authentication under history key "${keyId}" (tampered, or another key with this id)`,
      HistoryCodecErrorCode.AuthFailed,
      keyId,
    );
  }
}
