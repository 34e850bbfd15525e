import { connect } from 'node:http2';
import { startFakeUpstream } from '../../fakes';

test('h2', async () => {
  const up = await startFakeUpstream();
  const client = connect(up.url);
  client.on('error', (e) => console.log('session error', e));
  const out = await new Promise<string>((resolve, reject) => {
    const req = client.request({ ':method': 'POST', ':path': '/model/m%3A0/converse', 'content-type': 'application/json' });
    let data = '';
    req.on('response', (h) => console.log('headers', JSON.stringify(h)));
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
    req.on('error', reject);
    req.end(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  });
  console.log(out);
  client.close();
  await up.close();
});
