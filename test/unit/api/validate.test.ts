import { HttpError } from '../../../api/http-error';
import { chatRequestSchema } from '../../../api/validation/chat-request-schema';
import { validateBody } from '../../../api/validation/validate';

function error(body: unknown): HttpError {
  try {
    validateBody(chatRequestSchema, body);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('chat request validation', () => {
  it('accepts a full OpenAI request and keeps unknown fields', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'developer', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      stream: false,
      n: 1,
      service_tier: 'auto',
    };
    expect(validateBody(chatRequestSchema, body)).toEqual(body);
  });

  it('names the field in OpenAI notation with a code', () => {
    expect(
      error({
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'user', content: [{ type: 'image_url' }] },
        ],
      }),
    ).toMatchObject({
      status: 400,
      param: 'messages[1].content',
    });
    expect(error({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'bad name!' } }] })).toMatchObject({
      param: 'tools[0].function.name',
      code: 'invalid_value',
    });
    expect(error({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 })).toMatchObject({ param: 'max_tokens' });
    expect(error({ model: 'm', messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b', 'c', 'd', 'e'] })).toMatchObject({ param: 'stop' });
    expect(error({ model: 5, messages: [] })).toMatchObject({ param: 'model', code: 'invalid_type' });
    expect(error(null)).toMatchObject({ code: 'invalid_request_body' });
    expect(error('text')).toMatchObject({ code: 'invalid_request_body' });
  });

  it('refuses stream_options unless stream is true, as OpenAI does; null stays accepted', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    for (const stream of [false, null, undefined]) {
      expect(error({ ...base, stream, stream_options: { include_usage: true } })).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: 'stream_options',
        code: 'invalid_value',
        message: expect.stringContaining("only allowed when 'stream' is enabled") as unknown,
      });
      expect(validateBody(chatRequestSchema, { ...base, stream, stream_options: null })).toMatchObject(base);
    }
    expect(validateBody(chatRequestSchema, { ...base, stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true });
    // A field-level fault still wins: it names its own field.
    expect(error({ ...base, stream_options: { include_usage: 'yes' } })).toMatchObject({ param: 'stream_options.include_usage' });
  });
});
