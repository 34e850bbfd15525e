import { SseDecoder, type SseEvent } from '../../../providers/sse-decoder';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Decodes `parts` in order with one decoder and returns every event. */
function decodeAll(parts: readonly Uint8Array[]): SseEvent[] {
  const decoder = new SseDecoder();
  return parts.flatMap((part) => decoder.decode(part));
}

const decodeText = (...parts: string[]): SseEvent[] => decodeAll(parts.map(bytes));

/** Mixed line endings, a comment, fields without a space or colon, multi-line data and multi-byte characters. */
const SAMPLE = [
  ': keep-alive comment\n',
  'data: {"content":"héllo 👋"}\n\n',
  'event: update\r\n',
  'id: 7\r\n',
  'retry: 1000\r\n',
  'data:first\r\n',
  'data\r\n',
  'data:  indented\r\n\r\n',
  'data: cr only\r\r',
  'event: error\n',
  'data: {"error":{"message":"boom"}}\n\n',
  'data: [DONE]\n\n',
].join('');

const SAMPLE_EVENTS: SseEvent[] = [
  { event: undefined, data: '{"content":"héllo 👋"}' },
  { event: 'update', data: 'first\n\n indented' },
  { event: undefined, data: 'cr only' },
  { event: 'error', data: '{"error":{"message":"boom"}}' },
  { event: undefined, data: '[DONE]' },
];

describe('SseDecoder', () => {
  it('decodes a whole stream in one chunk', () => {
    expect(decodeAll([bytes(SAMPLE)])).toEqual(SAMPLE_EVENTS);
  });

  it('gives the same events whatever byte the stream is split at', () => {
    const whole = bytes(SAMPLE);
    for (let at = 0; at <= whole.length; at += 1) {
      expect(decodeAll([whole.subarray(0, at), whole.subarray(at)])).toEqual(SAMPLE_EVENTS);
    }
  });

  it('gives the same events when every byte arrives alone', () => {
    const whole = bytes(SAMPLE);
    const single = Array.from(whole, (_, i) => whole.subarray(i, i + 1));
    expect(decodeAll(single)).toEqual(SAMPLE_EVENTS);
  });

  it('ends lines at LF, CRLF and CR alike', () => {
    const expected = [
      { event: 'a', data: '1\n2' },
      { event: undefined, data: '3' },
    ];
    expect(decodeText('event: a\ndata: 1\ndata: 2\n\ndata: 3\n\n')).toEqual(expected);
    expect(decodeText('event: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n')).toEqual(expected);
    expect(decodeText('event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r')).toEqual(expected);
  });

  it('treats a CR ending one chunk and an LF starting the next as one line end', () => {
    expect(decodeText('data: a\r', '\ndata: b\r', '\n\r', '\n')).toEqual([{ event: undefined, data: 'a\nb' }]);
  });

  it('joins multi-line data with LF and keeps empty data lines', () => {
    expect(decodeText('data: {\ndata: "a": 1\ndata: }\n\n')).toEqual([{ event: undefined, data: '{\n"a": 1\n}' }]);
    expect(decodeText('data\n\n', 'data:\ndata:\n\n')).toEqual([
      { event: undefined, data: '' },
      { event: undefined, data: '\n' },
    ]);
  });

  it('ignores comments, unknown fields and events without data', () => {
    expect(decodeText(':ping\n\n', ': another\nfoo: bar\n\n', 'event: heartbeat\n\n', 'data: x\n\n')).toEqual([{ event: undefined, data: 'x' }]);
  });

  it('resets the event name after each dispatch', () => {
    expect(decodeText('event: error\ndata: 1\n\ndata: 2\n\n')).toEqual([
      { event: 'error', data: '1' },
      { event: undefined, data: '2' },
    ]);
  });

  it('strips one leading byte order mark', () => {
    expect(decodeAll([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf]), bytes('data: a\n\n')])).toEqual([{ event: undefined, data: 'a' }]);
  });

  it('does not dispatch an event the stream cut off before its blank line', () => {
    expect(decodeText('data: complete\n\n', 'data: {"cut":')).toEqual([{ event: undefined, data: 'complete' }]);
    expect(decodeText('data: complete\n\n', 'data: {"cut": 1}\n')).toEqual([{ event: undefined, data: 'complete' }]);
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    expect(decodeAll([bytes('data: a'), new Uint8Array([0xff]), bytes('b\n\n')])).toEqual([{ event: undefined, data: 'a\ufffdb' }]);
  });
});
