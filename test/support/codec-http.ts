/** HTTP helpers for the codec endpoint, in the Temporal UI's and CLI's wire format. */
import type { RawHistory } from './raw-history';

/** The Temporal UI's request to a codec server: JSON payloads with base64 fields, X-Namespace, its origin. */
export async function codecCall(
  url: string,
  direction: 'decode' | 'encode',
  body: unknown,
  opts: { token?: string; origin?: string } = {},
): Promise<{ status: number; headers: Headers; body: { payloads?: JsonPayload[]; error?: { code: string; message: string } } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': 'default' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.origin) headers.origin = opts.origin;
  const res = await fetch(`${url}/codec/${direction}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { payloads?: JsonPayload[] } };
}

export interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

export function toJson(history: RawHistory): JsonPayload[] {
  return history.payloads.map(({ payload }) => ({
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(payload.data!).toString('base64'),
  }));
}

/** The base64 `data` of every payload in a history as the CLI prints it (`--output json`), decoded and joined. */
export function payloadTexts(node: unknown): string {
  if (node === null || typeof node !== 'object') return '';
  const record = node as Record<string, unknown>;
  if (typeof record.data === 'string' && typeof record.metadata === 'object') return Buffer.from(record.data, 'base64').toString('utf8');
  return Object.values(record).map(payloadTexts).join('\n');
}

export const b64 = (text: string): string => Buffer.from(text).toString('base64');
export const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');
