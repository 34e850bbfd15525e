import type OpenAI from 'openai';
import { toFile } from 'openai';

/** One line of a batch input file. */
export interface BatchLine {
  readonly custom_id: string;
  readonly method?: string;
  readonly url?: string;
  readonly body: Record<string, unknown>;
}

/** A chat line for `model` whose user text is `text` (directives such as `#fault=500` go in it). */
export function chatLine(customId: string, model: string, text: string): BatchLine {
  return { custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: text }] } };
}

/** JSONL text of the lines. */
export function jsonl(lines: readonly unknown[]): string {
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

/** Uploads `text` as a batch file with the official client. */
export async function uploadBatchFile(openai: OpenAI, text: string, name = 'input.jsonl'): Promise<OpenAI.FileObject> {
  return openai.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
}

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Polls the batch until `done` says so (default: a final status), at most `timeoutMs`. */
export async function waitForBatch(
  openai: OpenAI,
  id: string,
  done: (b: OpenAI.Batch) => boolean = (b) => FINAL.has(b.status),
  timeoutMs = 60_000,
): Promise<OpenAI.Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await openai.batches.retrieve(id);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} (${JSON.stringify(batch.request_counts)}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An output or error line as OpenAI writes them. */
export interface ResultLine {
  readonly id: string;
  readonly custom_id: string;
  readonly response: { readonly status_code: number; readonly request_id: string; readonly body: Record<string, unknown> } | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** The parsed lines of a file (none when `fileId` is null). */
export async function readResultFile(openai: OpenAI, fileId: string | null | undefined): Promise<ResultLine[]> {
  if (!fileId) return [];
  const text = await (await openai.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);
}
