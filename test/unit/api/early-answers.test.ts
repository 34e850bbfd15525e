import { EarlyAnswers } from '../../../api/early-answers';

describe('EarlyAnswers', () => {
  it('hands a delivered value to the request waiting for that workflow, and forgets it', async () => {
    const answers = new EarlyAnswers();
    const wait = answers.wait('chat-1');
    answers.deliver('chat-1', { ok: 1 });
    await expect(wait.promise).resolves.toEqual({ ok: 1 });
    expect(answers.size).toBe(0);
    wait.cancel();
    expect(answers.size).toBe(0);
  });

  it('ignores a delivery nobody waits for, and other workflows’ deliveries', async () => {
    const answers = new EarlyAnswers();
    answers.deliver('chat-x', 'unclaimed');
    const wait = answers.wait('chat-2');
    answers.deliver('chat-3', 'not mine');
    let settled = false;
    void wait.promise.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(answers.size).toBe(1);
    answers.deliver('chat-2', 'mine');
    await expect(wait.promise).resolves.toBe('mine');
  });

  it('serves every request waiting for the same workflow; a cancelled one leaves the others waiting', async () => {
    const answers = new EarlyAnswers();
    const a = answers.wait('chat-4');
    const b = answers.wait('chat-4');
    const c = answers.wait('chat-4');
    b.cancel();
    b.cancel();
    expect(answers.size).toBe(1);
    answers.deliver('chat-4', 42);
    await expect(Promise.all([a.promise, c.promise])).resolves.toEqual([42, 42]);
    expect(answers.size).toBe(0);
  });

  it('drops a workflow id once its last waiter cancels (no leak)', () => {
    const answers = new EarlyAnswers();
    const waits = [answers.wait('chat-5'), answers.wait('chat-5'), answers.wait('chat-6')];
    for (const w of waits) w.cancel();
    expect(answers.size).toBe(0);
  });
});
