/**
 * Micro-measure of the history codec: AES-256-GCM encode + decode of one payload per call, as
 * the SDK calls the codec for an activity input or result. Reports µs per encode+decode and
 * operations per second for a few payload sizes (2 KB is a typical chat request or answer).
 *
 * Run: `npm run build && node dist/bench/codec-micro.js`. Environment: CODEC_MICRO_SECONDS
 * (measuring time per size, default 2).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { HistoryEncryptionCodec } from '../temporal/encryption-codec';
import { generateHistoryKey, historyKeyring } from '../temporal/history-keyring';

const SIZES = [256, 2 * 1024, 16 * 1024, 128 * 1024];

async function measure(codec: HistoryEncryptionCodec, bytes: number, seconds: number): Promise<{ usPerOp: number; opsPerS: number; encodeUs: number }> {
  const payload = defaultPayloadConverter.toPayload({ messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
  for (let i = 0; i < 2_000; i++) await codec.decode(await codec.encode([payload]));
  let ops = 0;
  let encodeNs = 0n;
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      const encoded = await codec.encode([payload]);
      encodeNs += process.hrtime.bigint() - t0;
      await codec.decode(encoded);
    }
    ops += 200;
  }
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1e3;
  return { usPerOp: elapsedUs / ops, opsPerS: ops / (elapsedUs / 1e6), encodeUs: Number(encodeNs) / 1e3 / ops };
}

async function main(): Promise<void> {
  const seconds = Number(process.env.CODEC_MICRO_SECONDS ?? 2);
  const codec = new HistoryEncryptionCodec(historyKeyring([generateHistoryKey('micro')]));
  process.stdout.write(`history codec, 1 payload per call, node ${process.version}\n`);
  process.stdout.write('payload      encode+decode   of which encode   encode+decode/s\n');
  for (const size of SIZES) {
    const r = await measure(codec, size, seconds);
    const label = size >= 1024 ? `${size / 1024} KB` : `${size} B`;
    process.stdout.write(
      `${label.padEnd(12)} ${r.usPerOp.toFixed(1).padStart(9)} µs ${r.encodeUs.toFixed(1).padStart(13)} µs ${Math.round(r.opsPerS).toString().padStart(17)}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`codec micro failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
