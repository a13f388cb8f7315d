// Owns: checking that the committed models/ and test/fixtures/ files are exactly what scripts/build-models.ts builds
// (a stale or hand-edited model fails here; fix with `node dist/scripts/build-models.js`).

import * as fs from 'fs';
import * as path from 'path';
import { buildAll } from '../../scripts/build-models';

const ROOT = path.resolve(__dirname, '../../..'); // dist/test/unit → repo root

describe('generated models are reproducible', () => {
  const built = buildAll();

  it('builds the expected set of files', () => {
    expect([...built.keys()].sort()).toEqual([
      'models/generator/1/model.onnx',
      'models/generator/config.pbtxt',
      'models/mlp/1/model.onnx',
      'models/mlp/config.pbtxt',
      'models/simple/1/model.onnx',
      'models/simple/config.pbtxt',
      'models/simple_string/1/model.onnx',
      'models/simple_string/config.pbtxt',
      'test/fixtures/corrupt/model.onnx',
      'test/fixtures/counter/1/model.onnx',
      'test/fixtures/counter/config.pbtxt',
      'test/fixtures/medium_mlp/1/model.onnx',
      'test/fixtures/repo-all-types/bf16_identity/1/model.onnx',
      'test/fixtures/repo-all-types/identity_all/1/model.onnx',
      'test/fixtures/repo-all-types/identity_all/config.pbtxt',
      'test/fixtures/repo-all-types/identity_typed/1/model.onnx',
      'test/fixtures/repo-all-types/identity_typed/config.pbtxt',
      'test/fixtures/slow/1/model.onnx',
      'test/fixtures/slow_echo/1/model.onnx',
      'test/fixtures/tiny_mlp/1/model.onnx',
    ]);
  });

  it('is deterministic across two builds', () => {
    for (const [rel, content] of buildAll()) {
      expect(Buffer.from(content).equals(Buffer.from(built.get(rel)!))).toBe(true);
    }
  });

  it.each([...built.keys()])('%s matches the committed file', (rel) => {
    const content = built.get(rel)!;
    const expected = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const file = path.join(ROOT, rel);
    expect(fs.existsSync(file)).toBe(true);
    const actual = fs.readFileSync(file);
    expect(actual.length).toBe(expected.length);
    expect(actual.equals(expected)).toBe(true);
  });
});
