import { InputLineError, parseInputLine } from '../../../batch/input-line';
import { parseConfig } from '../../../config/load-config';

const config = parseConfig(
  {
    providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1' } },
    models: { chat: { deployments: [{ provider: 'p', model: 'x' }] }, emb: { type: 'embedding', deployments: [{ provider: 'p', model: 'e' }] } },
  },
  {},
);

const chat = { custom_id: 'c1', method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'hi' }] } };

function reason(line: unknown): string {
  try {
    parseInputLine(typeof line === 'string' ? line : JSON.stringify(line), config);
  } catch (err) {
    if (err instanceof InputLineError) return err.reason;
    throw err;
  }
  return 'valid';
}

describe('parseInputLine', () => {
  it('accepts chat and embeddings lines', () => {
    expect(parseInputLine(JSON.stringify(chat), config)).toMatchObject({ customId: 'c1', url: '/v1/chat/completions', body: { model: 'chat' } });
    expect(parseInputLine(JSON.stringify({ custom_id: 'e', method: 'POST', url: '/v1/embeddings', body: { model: 'emb', input: 'x' } }), config)).toMatchObject(
      {
        url: '/v1/embeddings',
      },
    );
  });

  it.each([
    ['{"custom_id":', 'the line is not valid JSON'],
    ['[1]', 'the line must be a JSON object'],
    [JSON.stringify(chat).replace(/}$/, `,"extra":${'['.repeat(5_000)}${']'.repeat(5_000)}}`), 'the line is nested more than 100 levels deep'],
    [{ ...chat, custom_id: '' }, "'custom_id' must be a non-empty string"],
    [{ ...chat, custom_id: 'x'.repeat(513) }, "'custom_id' is longer than 512 characters"],
    [{ ...chat, method: 'PUT' }, '\'method\' must be "POST"'],
    [{ ...chat, url: '/v1/responses' }, "'url' must be one of /v1/chat/completions, /v1/embeddings"],
    [{ ...chat, body: { model: 'chat' } }, "body: Missing required parameter: 'messages'."],
    [{ ...chat, body: { ...chat.body, model: 'emb' } }, 'body.model: `emb` is not a chat model'],
    [{ ...chat, body: { ...chat.body, model: 'nope' } }, 'body.model: the model `nope` does not exist'],
    [{ ...chat, body: { ...chat.body, stream: true } }, 'body.stream: streaming is not available in a batch'],
  ])('refuses %j', (line, expected) => {
    expect(reason(line)).toBe(expected);
  });

  it('refuses a line over limits.max_body_bytes, as the synchronous endpoints refuse such a body', () => {
    const small = parseConfig(
      {
        providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1' } },
        models: { chat: { deployments: [{ provider: 'p', model: 'x' }] } },
        limits: { max_body_bytes: 1024 },
      },
      {},
    );
    const sized = (bytes: number): string => {
      const text = JSON.stringify({ ...chat, body: { ...chat.body, messages: [{ role: 'user', content: '' }] } });
      // 'é' is two bytes: the limit counts UTF-8 bytes, not characters.
      const filler = 'é'.repeat(Math.floor((bytes - Buffer.byteLength(text)) / 2)) + 'x'.repeat((bytes - Buffer.byteLength(text)) % 2);
      const line = JSON.stringify({ ...chat, body: { ...chat.body, messages: [{ role: 'user', content: filler }] } });
      expect(Buffer.byteLength(line)).toBe(bytes);
      return line;
    };
    expect(parseInputLine(sized(1024), small)).toMatchObject({ customId: 'c1' });
    expect(() => parseInputLine(sized(1025), small)).toThrow(
      new InputLineError('the line is 1025 bytes; a request may be at most 1024 bytes (limits.max_body_bytes)'),
    );
  });
});
