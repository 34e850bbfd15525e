/**
 * AWS event-stream framing for Bedrock's ConverseStream. Each frame carries `:message-type`,
 * `:event-type` and `:content-type` headers; the payload is the JSON of the event's structure
 * (the union member's value, e.g. `{"role":"assistant"}` for `messageStart`), which is what
 * the SDK's schema-based event-stream deserializer reads.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** Content type of a Bedrock event-stream response body. */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The event types of a ConverseStream output. */
export type ConverseStreamEventType = 'messageStart' | 'contentBlockStart' | 'contentBlockDelta' | 'contentBlockStop' | 'messageStop' | 'metadata';

/** Encodes one event frame whose payload is `payloadJson` verbatim (valid or not). */
export function encodeRawEvent(eventType: ConverseStreamEventType, payloadJson: string): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(payloadJson),
  });
}

/** Encodes one event frame with `payload` serialized as JSON. */
export function encodeEvent(eventType: ConverseStreamEventType, payload: Record<string, unknown>): Uint8Array {
  return encodeRawEvent(eventType, JSON.stringify(payload));
}
