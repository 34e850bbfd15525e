import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');

/**
 * The tokenizer encodings cost tens of MiB once loaded, so a process loads one only when it
 * first counts with it. Checked in a fresh process: jest's own module registry would hide what
 * Node loads.
 */
describe('tokenizer encodings', () => {
  it('are loaded on the first count, one encoding at a time', () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, 'budget', 'charge.ts'))}); // what the budget activities and batch items load
      const { countTextTokens } = require(${JSON.stringify(path.join(ROOT, 'tokens', 'count-text.ts'))});
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes('gpt-tokenizer')).map((f) => f.split('gpt-tokenizer')[1]).filter((f) => f.includes('/encoding/'));
      const atStart = loaded();
      const count = countTextTokens('o200k_base', 'hello world');
      const afterO200k = loaded();
      countTextTokens('o200k_base', 'again');
      const afterSecondCount = loaded();
      countTextTokens('cl100k_base', 'hello world');
      process.stdout.write(JSON.stringify({ atStart, count, afterO200k, afterSecondCount, afterCl100k: loaded() }));
    `;
    const child = spawnSync(process.execPath, ['--require', REGISTER, '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(result).toEqual({
      atStart: [],
      count: 2,
      afterO200k: ['/cjs/encoding/o200k_base.js'],
      afterSecondCount: ['/cjs/encoding/o200k_base.js'],
      afterCl100k: ['/cjs/encoding/o200k_base.js', '/cjs/encoding/cl100k_base.js'],
    });
  });
});
