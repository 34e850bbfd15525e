import { DEFAULT_CODEC_CORS_ORIGINS, codecOriginsWithUi } from '../../../api/middleware/codec-cors';

describe('codecOriginsWithUi', () => {
  it("adds the embedded UI's own origin, as localhost and 127.0.0.1", () => {
    expect(codecOriginsWithUi('http://127.0.0.1:18233')).toEqual([...DEFAULT_CODEC_CORS_ORIGINS, 'http://localhost:18233', 'http://127.0.0.1:18233']);
  });

  it('keeps the defaults once when the UI is on 8233, and alone without an embedded UI', () => {
    expect(codecOriginsWithUi('http://127.0.0.1:8233')).toEqual(DEFAULT_CODEC_CORS_ORIGINS);
    expect(codecOriginsWithUi(null)).toEqual(DEFAULT_CODEC_CORS_ORIGINS);
  });
});
