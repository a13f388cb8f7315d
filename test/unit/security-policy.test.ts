// Pure security logic: scope parsing and the method table, the principal store (hashed tokens only), host-path
// scrubbing, model file names, and input value policies parsed from config parameters.

import { inputPolicyOf } from '../../src/config/input-policy';
import type { ModelConfig } from '../../src/config/model-config';
import { checkInputLimits, DEFAULT_INPUT_LIMITS } from '../../src/dataplane/input-limits';
import { ModelDirectory } from '../../src/repository/model-directory';
import { scrubHostPaths } from '../../src/security/host-paths';
import { PrincipalStore, sha256Hex } from '../../src/security/principals';
import { methodRule, missingScope, parseScope } from '../../src/security/scopes';
import { inputBytes } from '../../src/security/security-interceptor';

const OIP = '/inference.GRPCInferenceService/';
const scopes = (...s: string[]) => s.map((x) => parseScope(x, 'test'));

describe('scopes', () => {
  test('infer patterns match whole model names, * as a wildcard, . literally', () => {
    const [s] = scopes('infer:resnet*.v2');
    expect(s.kind === 'infer' && ['resnet50.v2', 'resnet.v2', 'resnet50xv2', 'xresnet.v2'].map((m) => s.matches.test(m))).toEqual([true, true, false, false]);
  });

  test('unknown or malformed scopes are refused', () => {
    for (const bad of ['write', 'infer:', 'infer:a/b', 'infer:(.*)', 'Admin']) expect(() => parseScope(bad, 'p')).toThrow(/unknown scope/);
  });

  test('what each method needs', () => {
    const rule = (m: string) => methodRule(OIP + m);
    expect(missingScope([], rule('ServerLive'), '')).toBeNull();
    expect(missingScope([], methodRule('/grpc.health.v1.Health/Check'), '')).toBeNull();
    expect(missingScope(scopes('read'), rule('RepositoryModelLoad'), '')).toBe("'admin'");
    expect(missingScope(scopes('admin'), rule('RepositoryModelUnload'), '')).toBeNull();
    expect(missingScope(scopes('infer:a'), rule('ModelInfer'), 'b')).toBe("'infer:b'");
    expect(missingScope(scopes('read'), rule('ModelInfer'), 'a')).toBe("'infer:a'");
    expect(missingScope(scopes('infer:a'), rule('ModelConfig'), 'a')).toBeNull();
    expect(missingScope(scopes('infer:a'), rule('ModelStatistics'), 'a')).toBe("'read'");
    // A method nobody listed (a service added later) is admin-only.
    expect(missingScope(scopes('read', 'infer:*'), methodRule('/other.Service/Do'), '')).toBe("'admin'");
  });
});

describe('principal store', () => {
  const doc = (principals: unknown[]) => JSON.stringify({ principals });

  test('clear tokens are kept only as digests', () => {
    const store = PrincipalStore.parse(doc([{ name: 'a', tokens: ['very-secret-token'], scopes: ['read'] }]), 'f');
    expect(store.byToken('very-secret-token')?.name).toBe('a');
    expect(store.byToken('very-secret-tokenx')).toBeNull();
    const dump = JSON.stringify([...Object.values(store)].map((m) => [...(m as Map<string, unknown>).entries()]));
    expect(dump).not.toContain('very-secret-token');
    expect(dump).toContain(sha256Hex('very-secret-token'));
  });

  test('digests, subjects, and unknown subjects', () => {
    const store = PrincipalStore.parse(doc([
      { name: 'd', token_sha256: [sha256Hex('t1').toUpperCase()], scopes: ['admin'] },
      { name: 's', cert_subjects: ['CN=x'], scopes: ['infer:*'] },
    ]), 'f');
    expect(store.byToken('t1')).toMatchObject({ name: 'd', via: 'token' });
    expect(store.byCertificateSubject('CN=x')).toMatchObject({ name: 's', via: 'certificate' });
    expect(store.byCertificateSubject('CN=y')).toEqual({ name: 'CN=y', scopes: [], via: 'certificate' });
    expect(store.size).toBe(2);
  });

  test('malformed files are clear errors', () => {
    expect(() => PrincipalStore.parse('{', 'f')).toThrow(/^f: not valid JSON/);
    expect(() => PrincipalStore.parse('{}', 'f')).toThrow('f: expected {"principals": [...]}');
    expect(() => PrincipalStore.parse(doc([{ name: 'a', scopes: [] }]), 'f')).toThrow("f: principals[0] ('a') has no tokens, token_sha256 or cert_subjects");
    expect(() => PrincipalStore.parse(doc([{ name: 'a', token_sha256: ['abc'] }]), 'f')).toThrow(/64 hex digits/);
    expect(() => PrincipalStore.parse(doc([{ name: 'a', tokens: ['t'] }, { name: 'b', tokens: ['t'] }]), 'f')).toThrow(/a token is given to two principals/);
  });
});

test('host paths are scrubbed to their last component; other text is left alone', () => {
  expect(scrubHostPaths('Load model from /tmp/inferd-repo-x/m/1/model.onnx failed:Protobuf parsing failed.')).toBe(
    'Load model from <path>/model.onnx failed:Protobuf parsing failed.',
  );
  expect(scrubHostPaths("ENOENT: no such file or directory, scandir '/srv/models/m'")).toBe("ENOENT: no such file or directory, scandir '<path>/m'");
  expect(scrubHostPaths('C:\\models\\m\\1\\model.onnx')).toBe('<path>/model.onnx');
  const plain = "model 'm' version 1: input 'x' (FP32, shape [2,3]) needs 24 bytes; 3/4 of a/b and raw_input_contents[0]";
  expect(scrubHostPaths(plain)).toBe(plain);
});

test('model file names stay inside the version folder', () => {
  const dir = new ModelDirectory('/repo');
  expect(dir.modelFile('m', 1, 'model.onnx')).toBe('/repo/m/1/model.onnx');
  for (const bad of ['', '.', '..', '../x', 'a/b', '/etc/passwd', 'a\\b', 'x\0y', 'a..b']) {
    expect(() => dir.modelFile('m', 1, bad)).toThrow(/must be a plain file name/);
  }
  expect(() => dir.modelFile('m', -1, 'model.onnx')).toThrow("model 'm': version -1 is not valid");
  expect(() => dir.modelFile('../m', 1, 'model.onnx')).toThrow(/is not valid/);
});

describe('input value policy', () => {
  const config = (parameters: Record<string, string>): ModelConfig =>
    ({ name: 'm', parameters, input: [{ name: 'A' }, { name: 'B' }] }) as unknown as ModelConfig;

  test('no policy parameters: no policy', () => {
    expect(inputPolicyOf(config({ other: 'x' }))).toBeNull();
  });

  test('ranges per input override the model-wide one; open bounds', () => {
    const p = inputPolicyOf(config({ input_range: '-1:1', 'input_range.B': '0:', input_range_action: 'clamp' }))!;
    expect(p.action).toBe('clamp');
    expect(p.ranges.get('A')).toEqual({ min: -1, max: 1, text: '[-1, 1]' });
    expect(p.ranges.get('B')).toEqual({ min: 0, max: Infinity, text: '[0, inf]' });
  });

  test('malformed policies are errors naming the parameter', () => {
    expect(() => inputPolicyOf(config({ input_range: '2:1' }))).toThrow("model 'm': parameter input_range = '2:1' is not a range");
    expect(() => inputPolicyOf(config({ input_reject_nonfinite: 'yes' }))).toThrow(/must be 'true' or 'false', got 'yes'/);
    expect(() => inputPolicyOf(config({ input_range_action: 'wrap' }))).toThrow(/must be 'reject' or 'clamp', got 'wrap'/);
    expect(() => inputPolicyOf(config({ 'input_range.C': '0:1' }))).toThrow('parameter input_range.C names no input of the model');
  });
});

test('input bytes counted for rate limits: raw and typed contents', () => {
  expect(inputBytes({ rawInputContents: [new Uint8Array(10), new Uint8Array(6)] })).toBe(16);
  expect(inputBytes({ inputs: [{ contents: { fp32Contents: [1, 2, 3], int64Contents: [1], bytesContents: [new Uint8Array(5)] } }] })).toBe(25);
});

test('input limits count BYTES elements with their length prefixes', () => {
  const req = (data: Uint8Array[]) => ({
    modelName: 'm', modelVersion: '', id: '', parameters: {}, outputs: [],
    inputs: [{ name: 'S', datatype: 'BYTES' as const, shape: [data.length], data }],
  });
  expect(() => checkInputLimits({ ...DEFAULT_INPUT_LIMITS, maxInputBytes: 14 }, req([new Uint8Array(5), new Uint8Array(5)]))).toThrow(
    "model 'm': input tensors up to 'S' hold 18 bytes, over the limit of 14 (--max-input-bytes)",
  );
  expect(() => checkInputLimits({ ...DEFAULT_INPUT_LIMITS, maxInputBytes: 18 }, req([new Uint8Array(5), new Uint8Array(5)]))).not.toThrow();
});
