/**
 * Just enough Server-Sent Events parsing to time a chat stream: when the first `data:` event
 * carrying delta content arrives, and whether the stream ended with `data: [DONE]`.
 */

/** Feeds on response text as it arrives; splits events by line, keeps partial lines. */
export class SseProbe {
  /** True once a `data:` event with non-empty `choices[0].delta.content` was seen. */
  sawContent = false;
  /** True once `data: [DONE]` was seen. */
  sawDone = false;
  private partial = '';

  /**
   * Consumes one chunk of the body. Returns true when this chunk completed the first content
   * event (the moment to take the time-to-first-token reading).
   */
  push(text: string): boolean {
    const before = this.sawContent;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    return !before && this.sawContent;
  }

  private line(raw: string): void {
    if (!raw.startsWith('data:')) return;
    const payload = raw.slice(5).trim();
    if (payload === '[DONE]') {
      this.sawDone = true;
      return;
    }
    // Only the events before the first content are parsed; the rest are just framed.
    if (!this.sawContent && hasDeltaContent(payload)) this.sawContent = true;
  }
}

function hasDeltaContent(payload: string): boolean {
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof event !== 'object' || event === null || !('choices' in event) || !Array.isArray(event.choices)) return false;
  const choice: unknown = event.choices[0];
  if (typeof choice !== 'object' || choice === null || !('delta' in choice)) return false;
  const delta: unknown = choice.delta;
  return typeof delta === 'object' && delta !== null && 'content' in delta && typeof delta.content === 'string' && delta.content !== '';
}
