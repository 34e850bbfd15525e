import { allowedPlan, applyChatPolicy, assertModelAllowed, mergePolicies, modelAllowed, type Policy } from '../../../api/policies';
import { HttpError } from '../../../api/http-error';
import { NO_POLICY, type PolicyRules } from '../../../db/policies';
import type { ChatRequest } from '../../../providers/types';

const rules = (r: Partial<PolicyRules>): PolicyRules => ({ ...NO_POLICY, ...r });
const only = (r: Partial<PolicyRules>): Policy => mergePolicies(NO_POLICY, rules(r));
const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra }) as ChatRequest;

describe('mergePolicies', () => {
  it('imposes nothing without rules', () => {
    const p = mergePolicies(NO_POLICY, NO_POLICY);
    expect(p).toEqual({ allowedModels: null, deniedModels: new Set(), maxTokensCap: null, temperatureCap: null, systemPrompt: null });
  });

  it('intersects allowed lists, unites denied lists and keeps the lower caps', () => {
    const p = mergePolicies(
      rules({ allowedModels: ['a', 'b', 'c'], deniedModels: ['x'], maxTokensCap: 100, temperatureCap: 0.5, systemPrompt: 'Tenant.' }),
      rules({ allowedModels: ['b', 'c', 'd'], deniedModels: ['c'], maxTokensCap: 200, temperatureCap: 0.2, systemPrompt: 'Key.' }),
    );
    expect([...p.allowedModels!]).toEqual(['b', 'c']);
    expect([...p.deniedModels].sort()).toEqual(['c', 'x']);
    expect(p.maxTokensCap).toBe(100);
    expect(p.temperatureCap).toBe(0.2);
    expect(p.systemPrompt).toBe('Tenant.\n\nKey.');
  });

  it('takes either side alone when the other sets nothing', () => {
    expect([...mergePolicies(rules({ allowedModels: ['a'] }), NO_POLICY).allowedModels!]).toEqual(['a']);
    expect([...mergePolicies(NO_POLICY, rules({ allowedModels: ['k'] })).allowedModels!]).toEqual(['k']);
    expect(mergePolicies(NO_POLICY, rules({ maxTokensCap: 7 })).maxTokensCap).toBe(7);
    expect(mergePolicies(rules({ systemPrompt: 'T' }), rules({ systemPrompt: '' })).systemPrompt).toBe('T');
  });
});

describe('model checks', () => {
  it('denied wins over allowed; no allowed list allows all', () => {
    expect(modelAllowed(only({}), 'any')).toBe(true);
    expect(modelAllowed(only({ deniedModels: ['a'] }), 'a')).toBe(false);
    expect(modelAllowed(only({ allowedModels: ['a'], deniedModels: ['a'] }), 'a')).toBe(false);
    expect(modelAllowed(only({ allowedModels: ['a'] }), 'b')).toBe(false);
    expect(modelAllowed(only({ allowedModels: [] }), 'a')).toBe(false);
  });

  it('throws a 403 permission_error with code model_not_allowed', () => {
    let caught: unknown;
    try {
      assertModelAllowed(only({ deniedModels: ['gpt'] }), 'gpt');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HttpError);
    expect((caught as HttpError).toBody().error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect((caught as HttpError).status).toBe(403);
  });

  it('drops fallback attempts at models the policy does not allow', () => {
    const plan = [
      { model: 'a', provider: 'p1', upstreamModel: 'u1' },
      { model: 'b', provider: 'p2', upstreamModel: 'u2' },
      { model: 'a', provider: 'p3', upstreamModel: 'u3' },
    ];
    expect(allowedPlan(only({ deniedModels: ['b'] }), plan).map((a) => a.provider)).toEqual(['p1', 'p3']);
    expect(allowedPlan(only({}), plan)).toHaveLength(3);
  });
});

describe('applyChatPolicy', () => {
  it('leaves a request alone without rules and never mutates its input', () => {
    const req = chat({ max_tokens: 10, temperature: 1.5 });
    const copy = structuredClone(req);
    expect(applyChatPolicy(only({}), req)).toEqual(copy);
    applyChatPolicy(only({ maxTokensCap: 1, temperatureCap: 0, systemPrompt: 's' }), req);
    expect(req).toEqual(copy);
  });

  it('clamps max_tokens and max_completion_tokens to the cap, and sets max_completion_tokens when neither is set', () => {
    const p = only({ maxTokensCap: 100 });
    expect(applyChatPolicy(p, chat({ max_tokens: 500 })).max_tokens).toBe(100);
    expect(applyChatPolicy(p, chat({ max_tokens: 50 })).max_tokens).toBe(50);
    const both = applyChatPolicy(p, chat({ max_tokens: 500, max_completion_tokens: 400 }));
    expect([both.max_tokens, both.max_completion_tokens]).toEqual([100, 100]);
    const neither = applyChatPolicy(p, chat());
    expect(neither.max_completion_tokens).toBe(100);
    expect(neither.max_tokens).toBeUndefined();
    expect(applyChatPolicy(p, chat({ max_tokens: null })).max_completion_tokens).toBe(100);
  });

  it('clamps temperature, and sets an absent one when the cap is below the default of 1', () => {
    expect(applyChatPolicy(only({ temperatureCap: 0.5 }), chat({ temperature: 1.2 })).temperature).toBe(0.5);
    expect(applyChatPolicy(only({ temperatureCap: 0.5 }), chat({ temperature: 0.2 })).temperature).toBe(0.2);
    expect(applyChatPolicy(only({ temperatureCap: 0.5 }), chat()).temperature).toBe(0.5);
    expect(applyChatPolicy(only({ temperatureCap: 1.5 }), chat()).temperature).toBeUndefined();
    expect(applyChatPolicy(only({ temperatureCap: 0 }), chat({ temperature: 0.1 })).temperature).toBe(0);
  });

  it('prepends the system prompt as the first message', () => {
    const req = chat({
      messages: [
        { role: 'system', content: 'client system' },
        { role: 'user', content: 'hi' },
      ],
    });
    const out = applyChatPolicy(mergePolicies(rules({ systemPrompt: 'Tenant rule.' }), rules({ systemPrompt: 'Key rule.' })), req);
    expect(out.messages).toEqual([
      { role: 'system', content: 'Tenant rule.\n\nKey rule.' },
      { role: 'system', content: 'client system' },
      { role: 'user', content: 'hi' },
    ]);
  });
});
