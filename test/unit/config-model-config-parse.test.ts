// Unit tests for src/config/model-config-parse.ts: config.pbtxt → PartialModelConfig.

import { parsePartialModelConfig, type PartialModelConfig } from '../../src/config/model-config-parse';

const SRC = 'models/m/config.pbtxt';

function parse(text: string): { config: PartialModelConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config = parsePartialModelConfig(text, SRC, (m) => warnings.push(m));
  return { config, warnings };
}

function parseError(text: string): string {
  try {
    parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('parsePartialModelConfig', () => {
  it("maps Triton's `simple` example", () => {
    const { config, warnings } = parse(`
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "OUTPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
`);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      maxBatchSize: 8,
      input: [
        { name: 'INPUT0', datatype: 'INT32', dims: [16] },
        { name: 'INPUT1', datatype: 'INT32', dims: [16] },
      ],
      output: [
        { name: 'OUTPUT0', datatype: 'INT32', dims: [16] },
        { name: 'OUTPUT1', datatype: 'INT32', dims: [16] },
      ],
    });
  });

  it('leaves every absent field undefined', () => {
    const { config, warnings } = parse('# nothing but a comment\n');
    expect(config).toEqual({});
    expect(warnings).toEqual([]);
  });

  it('maps tensors: every datatype name, dims, optional, missing data_type/dims', () => {
    const { config } = parse(`
input { name: "a" data_type: TYPE_BOOL dims: [ -1, 3 ] optional: true }
input { name: "b" data_type: TYPE_STRING dims: [] }
input { name: "c" }
output { name: "d" data_type: TYPE_FP16 dims: 2 dims: 0x4 }
output { name: "e" data_type: TYPE_BF16 dims: [1] }
`);
    expect(config.input).toEqual([
      { name: 'a', datatype: 'BOOL', dims: [-1, 3], optional: true },
      { name: 'b', datatype: 'BYTES', dims: [] },
      { name: 'c' },
    ]);
    expect(config.output).toEqual([
      { name: 'd', datatype: 'FP16', dims: [2, 4] },
      { name: 'e', datatype: 'BF16', dims: [1] },
    ]);
    const types = ['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64'];
    const text = types.map((t) => `input { name: "${t}" data_type: TYPE_${t} }`).join('\n');
    expect(parse(text).config.input!.map((t) => t.datatype)).toEqual(types);
  });

  it('maps a dynamic_batching block with a priority_queue_policy map', () => {
    const { config, warnings } = parse(`
max_batch_size: 16
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 100
  preserve_ordering: true
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5000 allow_timeout_override: true max_queue_size: 32 }
  priority_queue_policy { key: 1 value: { timeout_action: REJECT max_queue_size: 4 } }
  priority_queue_policy { key: 2 value: { default_timeout_microseconds: 18446744073 } }
  priority_queue_policy [ { key: 3 } ]
}
`);
    expect(warnings).toEqual([]);
    expect(config.dynamicBatching).toEqual({
      preferredBatchSize: [4, 8],
      maxQueueDelayMicroseconds: 100,
      preserveOrdering: true,
      priorityLevels: 2,
      defaultPriorityLevel: 2,
      defaultQueuePolicy: { timeoutAction: 'DELAY', defaultTimeoutMicroseconds: 5000, allowTimeoutOverride: true, maxQueueSize: 32 },
      priorityQueuePolicy: new Map([
        [1, { timeoutAction: 'REJECT', maxQueueSize: 4 }],
        [2, { defaultTimeoutMicroseconds: 18446744073 }],
        [3, {}],
      ]),
    });
  });

  it('maps an empty dynamic_batching block to an empty (given) object', () => {
    expect(parse('dynamic_batching { }').config).toEqual({ dynamicBatching: {} });
  });

  it('maps an instance_group list with gpus', () => {
    const { config } = parse(`
instance_group [
  { name: "gpu_group" kind: KIND_GPU count: 2 gpus: [ 0, 1 ] },
  { kind: KIND_CPU },
  { count: 3 },
  { kind: KIND_AUTO gpus: 1 }
]`);
    expect(config.instanceGroup).toEqual([
      { name: 'gpu_group', kind: 'KIND_GPU', count: 2, gpus: [0, 1] },
      { kind: 'KIND_CPU' },
      { count: 3 },
      { kind: 'KIND_AUTO', gpus: [1] },
    ]);
  });

  it('maps parameters map entries (repeated and list form, last key wins, escapes)', () => {
    const { config } = parse(String.raw`
parameters { key: "execution_mode" value: { string_value: "1" } }
parameters: [ { key: "a" value { string_value: "x\ty" } }, { key: "b" value: {} }, { key: "c" } ]
parameters { key: "a" value: { string_value: "new" "er" } }
parameters { key: "__proto__" value: { string_value: "safe" } }
`);
    expect(config.parameters).toEqual({ execution_mode: '1', a: 'newer', b: '', c: '', ['__proto__']: 'safe' });
    expect(Object.keys(config.parameters!)).toEqual(['execution_mode', 'a', 'b', 'c', '__proto__']);
    expect(Object.getPrototypeOf(config.parameters)).toBe(Object.prototype);
  });

  it('maps each version policy', () => {
    expect(parse('version_policy: { latest: { num_versions: 2 } }').config.versionPolicy).toEqual({ kind: 'latest', numVersions: 2 });
    expect(parse('version_policy { latest { } }').config.versionPolicy).toEqual({ kind: 'latest', numVersions: 1 });
    expect(parse('version_policy: { all { } }').config.versionPolicy).toEqual({ kind: 'all' });
    expect(parse('version_policy { specific { versions: [1, 3] versions: 7 } }').config.versionPolicy).toEqual({
      kind: 'specific',
      versions: [1, 3, 7],
    });
  });

  it('maps the remaining scalar fields', () => {
    const { config } = parse(`
backend: "onnxruntime"
default_model_filename: "net.onnx"
model_transaction_policy { decoupled: True }
response_cache { enable: true }
max_batch_size: 0
`);
    expect(config).toEqual({
      backend: 'onnxruntime',
      defaultModelFilename: 'net.onnx',
      decoupled: true,
      responseCache: true,
      maxBatchSize: 0,
    });
    expect(parse('model_transaction_policy { decoupled: 0 } response_cache { enable: f }').config).toEqual({
      decoupled: false,
      responseCache: false,
    });
    expect(parse('model_transaction_policy { } response_cache { }').config).toEqual({});
  });

  it('warns about unknown and unsupported fields, naming field, file and position, and ignores them', () => {
    const { config, warnings } = parse(`name: "m"
sequence_batching { max_sequence_idle_microseconds: 5 }
bogus: 1
bogus: 2
input [ { name: "x" data_type: TYPE_FP32 dims: [1] reshape: { shape: [ ] } format: FORMAT_NCHW whatever: 1 } ]
output [ { name: "y" label_filename: "labels.txt" is_shape_tensor: false optional: true } ]
instance_group { count: 1 rate_limiter { } }
dynamic_batching { max_queue_delay_microseconds: 5 unknown_knob: 3 default_queue_policy { nope: 1 } }
version_policy { all { extra: 1 } }
parameters { key: "k" value { string_value: "v" other: 1 } }
`);
    // Mapping order: top level first, then each field's contents as it is mapped.
    expect(warnings).toEqual([
      `${SRC}:2:1: field 'sequence_batching' is not supported, ignored`,
      `${SRC}:3:1: unknown field 'bogus', ignored`,
      `${SRC}:5:52: field 'input[0].reshape' is not supported, ignored`,
      `${SRC}:5:76: field 'input[0].format' is not supported, ignored`,
      `${SRC}:5:96: unknown field 'input[0].whatever', ignored`,
      `${SRC}:6:22: field 'output[0].label_filename' is not supported, ignored`,
      `${SRC}:6:51: field 'output[0].is_shape_tensor' is not supported, ignored`,
      `${SRC}:6:74: unknown field 'output[0].optional', ignored`,
      `${SRC}:9:24: unknown field 'version_policy.all.extra', ignored`,
      `${SRC}:7:27: field 'instance_group[0].rate_limiter' is not supported, ignored`,
      `${SRC}:8:52: unknown field 'dynamic_batching.unknown_knob', ignored`,
      `${SRC}:8:91: unknown field 'dynamic_batching.default_queue_policy.nope', ignored`,
      `${SRC}:10:49: unknown field 'parameters[0].value.other', ignored`,
    ]);
    expect(config).toEqual({
      name: 'm',
      input: [{ name: 'x', datatype: 'FP32', dims: [1] }],
      output: [{ name: 'y' }],
      instanceGroup: [{ count: 1 }],
      dynamicBatching: { maxQueueDelayMicroseconds: 5, defaultQueuePolicy: {} },
      versionPolicy: { kind: 'all' },
      parameters: { k: 'v' },
    });
  });

  it('propagates pbtxt syntax errors with the source name', () => {
    expect(parseError('name: "m"\ninput [ { name: "x" ]')).toBe(`${SRC}:2:21: expected a field name or '}' got ']'`);
  });
});

describe('parsePartialModelConfig errors', () => {
  const cases: Array<[string, string]> = [
    ['name: simple', `${SRC}:1:7: field 'name': expected a quoted string got 'simple'`],
    ['name: 5', `${SRC}:1:7: field 'name': expected a quoted string got number 5`],
    ['name: "a" name: "b"', `${SRC}:1:17: field 'name': expected a single value got a second one`],
    ['name: []', `${SRC}:1:1: field 'name': expected a value got an empty list`],
    ['platform { }', `${SRC}:1:10: field 'platform': expected a quoted string got a message`],
    ['max_batch_size: "8"', `${SRC}:1:17: field 'max_batch_size': expected an integer got string "8"`],
    ['max_batch_size: -1', `${SRC}:1:17: field 'max_batch_size': expected an integer in [0, 2147483647] got -1`],
    ['max_batch_size: 2147483648', `${SRC}:1:17: field 'max_batch_size': expected an integer in [0, 2147483647] got 2147483648`],
    ['max_batch_size: 1.5', `${SRC}:1:17: field 'max_batch_size': expected an integer got number 1.5`],
    ['max_batch_size: inf', `${SRC}:1:17: field 'max_batch_size': expected an integer got number inf`],
    ['input { data_type: TYPE_FP32 }', `${SRC}:1:7: field 'input[0].name': every input and output needs a name`],
    ['input { name: "" }', `${SRC}:1:7: field 'input[0].name': every input and output needs a name`],
    ['input: "x"', `${SRC}:1:8: field 'input[0]': expected a message { … } got string "x"`],
    [
      'input { name: "x" }\ninput { name: "y" data_type: TYPE_FLOAT }',
      `${SRC}:2:30: field 'input[1].data_type': expected a TYPE_* data type (TYPE_FP32, TYPE_INT64, TYPE_STRING, …) got 'TYPE_FLOAT'`,
    ],
    [
      'output { name: "y" data_type: "TYPE_FP32" }',
      `${SRC}:1:31: field 'output[0].data_type': expected a TYPE_* data type (TYPE_FP32, TYPE_INT64, TYPE_STRING, …) got string "TYPE_FP32"`,
    ],
    [
      'input { name: "x" data_type: TYPE_INVALID }',
      `${SRC}:1:30: field 'input[0].data_type': expected a TYPE_* data type (TYPE_FP32, TYPE_INT64, TYPE_STRING, …) got 'TYPE_INVALID'`,
    ],
    ['input { name: "x" dims: [ 4, 0 ] }', `${SRC}:1:30: field 'input[0].dims[1]': expected a dim >= 1, or -1 for a variable-size dim, got 0`],
    ['input { name: "x" dims: [ -2 ] }', `${SRC}:1:27: field 'input[0].dims[0]': expected an integer in [-1, 9007199254740991] got -2`],
    ['input { name: "x" dims: [ "4" ] }', `${SRC}:1:27: field 'input[0].dims[0]': expected an integer got string "4"`],
    ['input { name: "x" optional: yes }', `${SRC}:1:29: field 'input[0].optional': expected true or false got 'yes'`],
    ['input { name: "x" optional: 2 }', `${SRC}:1:29: field 'input[0].optional': expected true or false got number 2`],
    ['instance_group { kind: KIND_TPU }', `${SRC}:1:24: field 'instance_group[0].kind': expected one of KIND_AUTO, KIND_CPU, KIND_GPU got 'KIND_TPU'`],
    ['instance_group { kind: KIND_MODEL }', `${SRC}:1:24: field 'instance_group[0].kind': expected one of KIND_AUTO, KIND_CPU, KIND_GPU got 'KIND_MODEL'`],
    ['instance_group { count: 0 }', `${SRC}:1:25: field 'instance_group[0].count': expected an integer in [1, 2147483647] got 0`],
    ['instance_group [ {}, { count: -3 } ]', `${SRC}:1:31: field 'instance_group[1].count': expected an integer in [1, 2147483647] got -3`],
    ['instance_group { gpus: [ 0, -1 ] }', `${SRC}:1:29: field 'instance_group[0].gpus[1]': expected an integer in [0, 2147483647] got -1`],
    ['version_policy { }', `${SRC}:1:16: field 'version_policy': expected exactly one of latest, all, specific got none`],
    ['version_policy { latest {} all {} }', `${SRC}:1:16: field 'version_policy': expected exactly one of latest, all, specific got latest, all`],
    ['version_policy { latest { num_versions: 0 } }', `${SRC}:1:41: field 'version_policy.latest.num_versions': expected an integer in [1, 4294967295] got 0`],
    ['version_policy { specific { versions: [ 1, -2 ] } }', `${SRC}:1:44: field 'version_policy.specific.versions[1]': expected an integer in [0, 9007199254740991] got -2`],
    ['version_policy: 1', `${SRC}:1:17: field 'version_policy': expected a message { … } got number 1`],
    ['dynamic_batching { preferred_batch_size: [ 0 ] }', `${SRC}:1:44: field 'dynamic_batching.preferred_batch_size[0]': expected an integer in [1, 2147483647] got 0`],
    ['dynamic_batching { max_queue_delay_microseconds: -5 }', `${SRC}:1:50: field 'dynamic_batching.max_queue_delay_microseconds': expected an integer in [0, 9007199254740991] got -5`],
    [
      'dynamic_batching { max_queue_delay_microseconds: 18446744073709551615 }',
      `${SRC}:1:50: field 'dynamic_batching.max_queue_delay_microseconds': expected an integer in [0, 9007199254740991] got 18446744073709551615`,
    ],
    ['dynamic_batching { preserve_ordering: "true" }', `${SRC}:1:39: field 'dynamic_batching.preserve_ordering': expected true or false got string "true"`],
    [
      'dynamic_batching { default_queue_policy { timeout_action: DROP } }',
      `${SRC}:1:59: field 'dynamic_batching.default_queue_policy.timeout_action': expected one of REJECT, DELAY got 'DROP'`,
    ],
    [
      'dynamic_batching { default_queue_policy { max_queue_size: 4294967296 } }',
      `${SRC}:1:59: field 'dynamic_batching.default_queue_policy.max_queue_size': expected an integer in [0, 4294967295] got 4294967296`,
    ],
    [
      'dynamic_batching { priority_queue_policy { value: { } } }',
      `${SRC}:1:42: field 'dynamic_batching.priority_queue_policy[0].key': map entry without a key`,
    ],
    [
      'dynamic_batching { priority_queue_policy { key: "1" } }',
      `${SRC}:1:49: field 'dynamic_batching.priority_queue_policy[0].key': expected an integer got string "1"`,
    ],
    [
      'dynamic_batching { priority_queue_policy { key: 1 value: 3 } }',
      `${SRC}:1:58: field 'dynamic_batching.priority_queue_policy[0].value': expected a message { … } got number 3`,
    ],
    ['parameters { key: 1 value: { string_value: "v" } }', `${SRC}:1:19: field 'parameters[0].key': expected a quoted string got number 1`],
    ['parameters { key: "k" value: { string_value: 5 } }', `${SRC}:1:46: field 'parameters[0].value.string_value': expected a quoted string got number 5`],
    ['parameters { value: { string_value: "v" } }', `${SRC}:1:12: field 'parameters[0].key': map entry without a key`],
    ['model_transaction_policy { decoupled: maybe }', `${SRC}:1:39: field 'model_transaction_policy.decoupled': expected true or false got 'maybe'`],
    ['response_cache: true', `${SRC}:1:17: field 'response_cache': expected a message { … } got 'true'`],
    ['default_model_filename: model.onnx', `${SRC}:1:30: expected a field name, value or punctuation got unexpected character "."`],
  ];
  it.each(cases)('%s', (text, message) => {
    expect(parseError(text)).toBe(message);
  });
});
