import type { Request, Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { HistoryCodecError, type HistoryCodecErrorCode } from '../../temporal/encryption-codec';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';

/** Largest codec request body: the UI sends one event's payloads at a time; Temporal caps a payload at 2 MB by default. */
export const CODEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

/** The remote codec protocol: proto3 JSON of `Payloads`, bytes as base64. */
const payloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }).loose()).max(10_000),
});

type JsonPayload = { metadata: Record<string, string>; data: string };

/** The error `code` of each codec failure. */
const ERROR_CODE: Record<HistoryCodecErrorCode, string> = {
  unknown_key: 'unknown_history_key',
  malformed: 'malformed_payload',
  auth_failed: 'payload_authentication_failed',
};

/**
 * `POST /codec/encode` and `POST /codec/decode`: the remote codec server the Temporal UI and CLI
 * call (`--ui-codec-endpoint`, `--codec-endpoint`) to show decrypted history. Admin-only: it
 * decrypts prompts and completions on demand. Returns 404 `codec_disabled` when history
 * encryption is off. A payload that cannot be decrypted fails the whole request with 400 naming
 * its key id; payloads that are not encrypted decode unchanged.
 */
export function codecRoute(codec: PayloadCodec | undefined, direction: 'encode' | 'decode') {
  return async function codecHandler(req: Request, res: Response): Promise<void> {
    if (!codec)
      throw new HttpError(404, 'History encryption is off (SWITCHYARD_HISTORY_ENCRYPTION=off): there is nothing to decode.', { code: 'codec_disabled' });
    const body = validateBody(payloadsSchema, req.body);
    const payloads = body.payloads.map(fromJson);
    let converted: Payload[];
    try {
      converted = direction === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      if (err instanceof HistoryCodecError) throw new HttpError(400, err.message, { code: ERROR_CODE[err.code] });
      throw err;
    }
    res.json({ payloads: converted.map(toJson) });
  };
}

function fromJson(payload: { metadata?: Record<string, string>; data?: string }): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) metadata[name] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[name] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  const data = payload.data ?? new Uint8Array();
  return { metadata, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}
