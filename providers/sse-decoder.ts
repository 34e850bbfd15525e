import { StringDecoder } from 'node:string_decoder';

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The last `event:` field of the event; `undefined` when it had none (the spec's `message`). */
  readonly event: string | undefined;
  /** The event's `data:` field values joined with `\n`. */
  readonly data: string;
}

const LF = 0x0a;
const SPACE = 0x20;

/**
 * An incremental decoder for a `text/event-stream` body, per the WHATWG HTML "event stream
 * interpretation": UTF-8 bytes in any chunking → lines (ended by CRLF, LF or CR, also when
 * split across chunks) → events (dispatched at a blank line). Handles a leading BOM, comments
 * (`:`), `event:` names, multi-line `data:` and fields without a colon; `id:` and `retry:` are
 * read and ignored (a gateway does not reconnect). An event with no `data:` field is not
 * dispatched, as the spec says.
 *
 * It replaces the `openai` SDK's `Stream` decoding on the streaming fast path, where its web
 * stream reading, byte-buffer copying and layered async iterators were the largest CPU cost per
 * stream. Invalid UTF-8 becomes U+FFFD, like `TextDecoder`.
 *
 * Failure mode: none of its own. A stream that ends mid-event simply dispatches nothing for
 * that event (the spec discards it); callers judge completeness from the events they saw.
 */
export class SseDecoder {
  private readonly text = new StringDecoder('utf8');
  private started = false;
  /** The unterminated end of the last chunk. */
  private partial = '';
  /** The last chunk ended with CR: an LF starting the next one belongs to that line end. */
  private skipLf = false;
  private event: string | undefined;
  /** `undefined` until the event's first `data:` field (an empty buffer in the spec's terms). */
  private data: string | undefined;

  /** Decodes the next body chunk; returns the events it completed, in order (often none). */
  decode(chunk: Uint8Array): SseEvent[] {
    const events: SseEvent[] = [];
    let text = this.text.write(chunk);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0) this.lines(text, events);
    return events;
  }

  private lines(text: string, events: SseEvent[]): void {
    let pos = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    let cr = text.indexOf('\r', pos);
    while (pos < text.length) {
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
      const lf = text.indexOf('\n', pos);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        next = cr + 1;
        if (next === text.length) this.skipLf = true;
        else if (text.charCodeAt(next) === LF) next += 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      const line = this.partial === '' ? text.slice(pos, end) : this.partial + text.slice(pos, end);
      this.partial = '';
      this.line(line, events);
      pos = next;
    }
    if (pos < text.length) this.partial += text.slice(pos);
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      if (this.data !== undefined) events.push({ event: this.event, data: this.data });
      this.event = undefined;
      this.data = undefined;
      return;
    }
    // The hot case first: `data: <json>`.
    if (line.startsWith('data: ')) {
      this.addData(line.slice(6));
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
  }

  private addData(value: string): void {
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }
}
