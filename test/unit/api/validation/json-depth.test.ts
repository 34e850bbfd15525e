import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../../../api/validation/json-depth';

/** `depth` nested levels: objects, or arrays when `arrays`. */
function nested(depth: number, arrays = false): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays alike, the top level as 1', () => {
    expect(jsonDepthExceeds({ a: 1 }, 1)).toBe(false);
    expect(jsonDepthExceeds({ a: [1] }, 1)).toBe(true);
    expect(jsonDepthExceeds(nested(3, true), 3)).toBe(false);
    expect(jsonDepthExceeds(nested(4, true), 3)).toBe(true);
  });

  it('allows exactly the limit and refuses one more', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  it('finds a deep branch beside shallow ones', () => {
    expect(jsonDepthExceeds({ x: 1, y: [1, 2], z: { w: nested(MAX_JSON_DEPTH) } })).toBe(true);
    expect(jsonDepthExceeds({ x: 1, y: [1, 2], z: { w: nested(MAX_JSON_DEPTH - 2) } })).toBe(false);
  });

  it('treats scalars and null as depth 0, and walks 100,000 levels without recursion', () => {
    for (const scalar of [null, 1, 'text', true]) expect(jsonDepthExceeds(scalar, 0)).toBe(false);
    expect(jsonDepthExceeds(nested(100_000))).toBe(true);
  });
});
