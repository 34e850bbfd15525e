import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, ENCRYPTION_KEY_ID, HistoryCodecError, HistoryEncryptionCodec } from '../../../temporal/encryption-codec';
import { historyKeyring } from '../../../temporal/history-keyring';
import { testHistoryKey } from '../../support/history-keys';

const KEY_A = testHistoryKey('key-a');
const KEY_B = testHistoryKey('key-b');
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function payloadOf(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

async function decodeError(codec: HistoryEncryptionCodec, payloads: Payload[]): Promise<HistoryCodecError> {
  const error: unknown = await codec.decode(payloads).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HistoryCodecError)) throw new Error(`expected a HistoryCodecError, got ${String(error)}`);
  return error;
}

describe('HistoryEncryptionCodec', () => {
  const prompt = 'the secret prompt: launch codes 0000';

  it('hides data and the original encoding, names the key, and decodes back to the same payload', async () => {
    const codec = new HistoryEncryptionCodec(historyKeyring([KEY_A]));
    const original = payloadOf({ messages: [{ role: 'user', content: prompt }] });
    const [encoded] = await codec.encode([original]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![ENCRYPTION_KEY_ID])).toBe('key-a');
    expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', ENCRYPTION_KEY_ID].sort());
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('launch codes'))).toBe(false);
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('json/plain'))).toBe(false);

    const [decoded] = await codec.decode([encoded!]);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ messages: [{ role: 'user', content: prompt }] });
  });

  it('uses a fresh IV per payload: the same value never encrypts to the same bytes', async () => {
    const codec = new HistoryEncryptionCodec(historyKeyring([KEY_A]));
    const [one, two] = await codec.encode([payloadOf(prompt), payloadOf(prompt)]);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted (older histories) through unchanged', async () => {
    const codec = new HistoryEncryptionCodec(historyKeyring([KEY_A]));
    const plain = [payloadOf({ a: 1 }), payloadOf(null), payloadOf(new Uint8Array([1, 2, 3]))];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('round-trips an empty list and empty data', async () => {
    const codec = new HistoryEncryptionCodec(historyKeyring([KEY_A]));
    expect(await codec.encode([])).toEqual([]);
    const [decoded] = await codec.decode(await codec.encode([{ metadata: {}, data: new Uint8Array() }]));
    expect(decoded!.data?.length ?? 0).toBe(0);
  });

  describe('rotation', () => {
    it('decodes payloads written under A after the ring becomes [B, A], and encrypts new ones under B', async () => {
      const before = new HistoryEncryptionCodec(historyKeyring([KEY_A]));
      const written = await before.encode([payloadOf(prompt)]);
      const after = new HistoryEncryptionCodec(historyKeyring([KEY_B, KEY_A]));
      expect(defaultPayloadConverter.fromPayload((await after.decode(written))[0]!)).toBe(prompt);
      const [fresh] = await after.encode([payloadOf(prompt)]);
      expect(text(fresh!.metadata![ENCRYPTION_KEY_ID])).toBe('key-b');
      // A ring that dropped A too early cannot read A's payloads, and says which key is missing.
      const error = await decodeError(new HistoryEncryptionCodec(historyKeyring([KEY_B])), written);
      expect(error.code).toBe('unknown_key');
      expect(error.keyId).toBe('key-a');
      expect(error.message).toContain('"key-a"');
    });
  });

  describe('tampering fails authentication', () => {
    const codec = new HistoryEncryptionCodec(historyKeyring([KEY_A, KEY_B]));

    it('a flipped ciphertext bit', async () => {
      const [encoded] = await codec.encode([payloadOf(prompt)]);
      const data = Buffer.from(encoded!.data!);
      data[20] = data[20]! ^ 0x01;
      expect((await decodeError(codec, [{ ...encoded!, data }])).code).toBe('auth_failed');
    });

    it('a flipped tag bit', async () => {
      const [encoded] = await codec.encode([payloadOf(prompt)]);
      const data = Buffer.from(encoded!.data!);
      data[data.length - 1] = data[data.length - 1]! ^ 0x80;
      expect((await decodeError(codec, [{ ...encoded!, data }])).code).toBe('auth_failed');
    });

    it('a payload relabelled with another key id of the ring (the id is authenticated data)', async () => {
      const [encoded] = await codec.encode([payloadOf(prompt)]);
      const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [ENCRYPTION_KEY_ID]: Buffer.from('key-b') } };
      expect((await decodeError(codec, [relabelled])).code).toBe('auth_failed');
    });

    it('a truncated payload, and one without a key id', async () => {
      const [encoded] = await codec.encode([payloadOf(prompt)]);
      expect((await decodeError(codec, [{ ...encoded!, data: encoded!.data!.subarray(0, 20) }])).code).toBe('malformed');
      const { [ENCRYPTION_KEY_ID]: _dropped, ...metadata } = encoded!.metadata!;
      expect((await decodeError(codec, [{ ...encoded!, metadata }])).code).toBe('malformed');
    });
  });
});
