import { randomBytes } from 'node:crypto';
import { propagation, trace } from '@opentelemetry/api';
import { TracedProviderRegistry } from '../../observability/upstream-spans';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

const SERVER = 2;
const CLIENT = 3;

/** OpenTelemetry: off by default; with an OTLP endpoint, one trace from the HTTP request to the upstream call. */
describe('tracing', () => {
  it('installs no tracer, propagator or interceptor when off', async () => {
    const gw = await startTestGateway();
    try {
      await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('untraced') }] });
      expect(gw.gateway.tracing).toBeUndefined();
      // The global API still answers, with its no-op: spans that record nothing, no propagation.
      const span = trace.getTracer('probe').startSpan('probe');
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext().traceId).toBe('00000000000000000000000000000000');
      span.end();
      expect(propagation.fields()).toEqual([]);
      expect(gw.gateway.client.options.interceptors.workflow).toEqual([]);
      expect(gw.gateway.providers).not.toBeInstanceOf(TracedProviderRegistry);
    } finally {
      await gw.stop();
    }
  });

  describe('with an OTLP endpoint', () => {
    let receiver: OtlpReceiver;
    let gw: TestGateway;
    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      gw = await startTestGateway({ tracing: { tracesUrl: receiver.tracesUrl, serviceName: 'switchyard-test' } });
    });
    afterAll(async () => {
      await gw?.stop();
      await receiver?.close();
    });

    /** Sends a request under a client trace of its own (W3C traceparent) and returns its ids. */
    async function tracedRequest(body: Record<string, unknown>): Promise<{ traceId: string; clientSpanId: string; response: Response }> {
      const traceId = randomBytes(16).toString('hex');
      const clientSpanId = randomBytes(8).toString('hex');
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${clientSpanId}-01` },
        body: JSON.stringify(body),
      });
      await response.text();
      expect(response.status).toBe(200);
      return { traceId, clientSpanId, response };
    }

    /** Flushes and waits (bounded) until the trace holds every span named. */
    async function spansOf(traceId: string, names: readonly string[]): Promise<ReceivedSpan[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        await gw.gateway.tracing!.flush();
        const spans = receiver.spans.filter((s) => s.traceId === traceId);
        if (names.every((n) => spans.some((s) => s.name === n)) || Date.now() > deadline) return spans;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
      const found = spans.filter((s) => s.name === name);
      expect({ name, count: found.length }).toEqual({ name, count: 1 });
      return found[0]!;
    }

    it('links the HTTP server span, the workflow, its activities and the upstream call in the client trace', async () => {
      const { traceId, clientSpanId, response } = await tracedRequest({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('traced') }] });
      const names = [
        'POST /v1/chat/completions',
        'StartWorkflow:chatCompletionWorkflow',
        'RunWorkflow:chatCompletionWorkflow',
        'StartActivity:callChatAndSettle',
        'RunActivity:callChatAndSettle',
        'chat gpt-4o-mini',
      ];
      const spans = await spansOf(traceId, names);
      const [server, start, run, schedule, activity, upstream] = names.map((n) => one(spans, n)) as [
        ReceivedSpan,
        ReceivedSpan,
        ReceivedSpan,
        ReceivedSpan,
        ReceivedSpan,
        ReceivedSpan,
      ];
      expect(server.parentSpanId).toBe(clientSpanId);
      expect(server.kind).toBe(SERVER);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/chat/completions',
        'http.response.status_code': 200,
        'switchyard.request_id': response.headers.get('x-request-id'),
      });
      expect(server.serviceName).toBe('switchyard-test');
      expect(start.parentSpanId).toBe(server.spanId);
      expect(run.parentSpanId).toBe(start.spanId);
      expect(run.attributes).toMatchObject({ workflowId: `chat-${response.headers.get('x-request-id')}` });
      expect(schedule.parentSpanId).toBe(run.spanId);
      expect(activity.parentSpanId).toBe(schedule.spanId);
      expect(upstream.parentSpanId).toBe(activity.spanId);
      expect(upstream.kind).toBe(CLIENT);
      expect(upstream.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'switchyard.provider': 'oai',
        'server.address': '127.0.0.1',
      });
      expect(upstream.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      // The API held the budget and the attempt settled itself: no budget step in the workflow.
      expect(spans.filter((s) => s.name.endsWith(':reserveBudget') || s.name.endsWith(':settleBudget'))).toHaveLength(0);
    });

    it('on the fast path the upstream span is a child of the server span and lasts the stream', async () => {
      const { traceId } = await tracedRequest({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('traced stream') }] });
      const spans = await spansOf(traceId, ['POST /v1/chat/completions', 'chat gpt-4o-mini']);
      const server = one(spans, 'POST /v1/chat/completions');
      const upstream = one(spans, 'chat gpt-4o-mini');
      expect(upstream.parentSpanId).toBe(server.spanId);
      expect(upstream.kind).toBe(CLIENT);
      expect(upstream.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(spans.some((s) => s.name.startsWith('StartWorkflow'))).toBe(false);
    });

    it('starts a new trace for a request without traceparent, and records no prompt text', async () => {
      const text = uniqueText('secret prompt');
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }),
      });
      await response.text();
      const requestId = response.headers.get('x-request-id');
      let server: ReceivedSpan | undefined;
      for (let i = 0; i < 100 && !server; i++) {
        await gw.gateway.tracing!.flush();
        server = receiver.spans.find((s) => s.attributes['switchyard.request_id'] === requestId);
        if (!server) await new Promise((r) => setTimeout(r, 50));
      }
      expect(server?.parentSpanId).toBe('');
      const spans = await spansOf(server!.traceId, ['RunActivity:callChatAndSettle', 'chat gpt-4o-mini']);
      expect(spans.length).toBeGreaterThanOrEqual(6);
      expect(JSON.stringify(receiver.spans)).not.toContain(text);
      expect(JSON.stringify(receiver.spans)).not.toContain(gw.key);
    });
  });
});
