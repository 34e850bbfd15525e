import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/load-config';

/**
 * The master key that seals secrets at rest (upstream credentials, scheduled rotations' new
 * keys): `SWITCHYARD_MASTER_KEY` (base64 of 32 bytes) wins, else the file named by
 * `SWITCHYARD_MASTER_KEY_FILE`, else, on the embedded default only (`defaultFile` given), a key
 * created once in that file with mode 0600. Returns undefined when none is configured: stored
 * secrets are then refused, references (`env:`/`file:`) still work.
 *
 * @throws ConfigError for a value that is not base64 of exactly 32 bytes, or an unreadable file.
 */
export function loadMasterKey(opts: { value?: string; file?: string; defaultFile?: string }): Buffer | undefined {
  if (opts.value) return decode(opts.value, 'SWITCHYARD_MASTER_KEY');
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`SWITCHYARD_MASTER_KEY_FILE: cannot read ${opts.file}: ${(err as Error).message}`);
    }
    return decode(text.trim(), 'SWITCHYARD_MASTER_KEY_FILE');
  }
  if (!opts.defaultFile) return undefined;
  if (!existsSync(opts.defaultFile)) {
    mkdirSync(path.dirname(opts.defaultFile), { recursive: true });
    // flag wx: two processes starting at once never overwrite each other's key.
    try {
      writeFileSync(opts.defaultFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return decode(readFileSync(opts.defaultFile, 'utf8').trim(), opts.defaultFile);
}

function decode(text: string, source: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+=*$/.test(text)) throw new ConfigError(`${source}: must be base64 of exactly 32 bytes`);
  return key;
}
