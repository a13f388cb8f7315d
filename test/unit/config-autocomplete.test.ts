// Unit tests for src/config/autocomplete.ts: Triton-style auto-complete of ONNX model configs.

import { completeModelConfig, type OnnxSignature } from '../../src/config/autocomplete';
import { DEFAULT_QUEUE_POLICY, type ModelConfig } from '../../src/config/model-config';
import { parsePartialModelConfig, type PartialModelConfig } from '../../src/config/model-config-parse';

const OPTIONS = { defaultMaxBatchSize: 4 };

/** Triton's `simple` add/sub model with a dynamic batch dim, as onnxruntime-node reports it. */
const SIMPLE: OnnxSignature = {
  inputs: [
    { name: 'INPUT0', isTensor: true, type: 'int32', shape: ['batch', 16] },
    { name: 'INPUT1', isTensor: true, type: 'int32', shape: ['batch', 16] },
  ],
  outputs: [
    { name: 'OUTPUT0', isTensor: true, type: 'int32', shape: ['batch', 16] },
    { name: 'OUTPUT1', isTensor: true, type: 'int32', shape: [-1, 16] },
  ],
};

/** A model with fixed shapes only. */
const FIXED: OnnxSignature = {
  inputs: [{ name: 'x', type: 'float32', shape: [1, 3, 224, 224] }],
  outputs: [{ name: 'y', type: 'float32', shape: [1, 1000] }],
};

const config = (text: string): PartialModelConfig => parsePartialModelConfig(text, 'config.pbtxt', () => undefined);

function complete(partial: PartialModelConfig | null, onnx: OnnxSignature = SIMPLE, name = 'simple'): ModelConfig {
  return completeModelConfig(name, partial, onnx, OPTIONS);
}

function failure(partial: PartialModelConfig | null, onnx: OnnxSignature = SIMPLE, name = 'simple'): string {
  try {
    complete(partial, onnx, name);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('auto-complete did not fail');
}

describe('completeModelConfig without a config.pbtxt', () => {
  it('fills everything from a batchable model: default max_batch_size, batch dim stripped', () => {
    expect(complete(null)).toEqual({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      maxBatchSize: 4,
      input: [
        { name: 'INPUT0', datatype: 'INT32', dims: [16], optional: false },
        { name: 'INPUT1', datatype: 'INT32', dims: [16], optional: false },
      ],
      output: [
        { name: 'OUTPUT0', datatype: 'INT32', dims: [16], optional: false },
        { name: 'OUTPUT1', datatype: 'INT32', dims: [16], optional: false },
      ],
      versionPolicy: { kind: 'latest', numVersions: 1 },
      instanceGroup: [{ name: 'simple', kind: 'KIND_CPU', count: 1, gpus: [] }],
      // Triton's ONNX Runtime backend turns dynamic batching on when it auto-completes max_batch_size > 1.
      dynamicBatching: {
        preferredBatchSize: [],
        maxQueueDelayMicroseconds: 0,
        preserveOrdering: false,
        priorityLevels: 0,
        defaultPriorityLevel: 0,
        defaultQueuePolicy: { timeoutAction: 'REJECT', defaultTimeoutMicroseconds: 0, allowTimeoutOverride: false, maxQueueSize: 0 },
        priorityQueuePolicy: new Map(),
      },
      parameters: {},
      defaultModelFilename: 'model.onnx',
      decoupled: false,
      loop: null,
      responseCache: false,
    } satisfies ModelConfig);
  });

  it('leaves dynamic batching off when max_batch_size is given or auto-completes to 1 or less', () => {
    expect(completeModelConfig('simple', null, SIMPLE, { defaultMaxBatchSize: 1 }).dynamicBatching).toBeNull();
    expect(complete(config('max_batch_size: 8')).dynamicBatching).toBeNull();
  });

  it('uses options.defaultMaxBatchSize', () => {
    expect(completeModelConfig('simple', null, SIMPLE, { defaultMaxBatchSize: 32 }).maxBatchSize).toBe(32);
    const off = completeModelConfig('simple', null, SIMPLE, { defaultMaxBatchSize: 0 });
    expect(off.maxBatchSize).toBe(0);
    expect(off.input[0].dims).toEqual([-1, 16]);
  });

  it('keeps a fixed-first-dim model unbatched with its full shape', () => {
    const c = complete(null, FIXED, 'resnet');
    expect(c.maxBatchSize).toBe(0);
    expect(c.input).toEqual([{ name: 'x', datatype: 'FP32', dims: [1, 3, 224, 224], optional: false }]);
    expect(c.output).toEqual([{ name: 'y', datatype: 'FP32', dims: [1, 1000], optional: false }]);
  });

  it('does not batch when one output has a fixed first dim; other dynamic dims become -1', () => {
    const onnx: OnnxSignature = {
      inputs: [{ name: 'tokens', type: 'int64', shape: ['batch', 'seq'] }],
      outputs: [
        { name: 'logits', type: 'float32', shape: ['batch', 'seq', 50257] },
        { name: 'summary', type: 'float32', shape: [1, ''] },
      ],
    };
    const c = complete(null, onnx, 'lm');
    expect(c.maxBatchSize).toBe(0);
    expect(c.input[0].dims).toEqual([-1, -1]);
    expect(c.output.map((o) => o.dims)).toEqual([
      [-1, -1, 50257],
      [1, -1],
    ]);
  });

  it('maps every onnxruntime type to its datatype', () => {
    const types: Array<[string, string]> = [
      ['bool', 'BOOL'], ['uint8', 'UINT8'], ['uint16', 'UINT16'], ['uint32', 'UINT32'], ['uint64', 'UINT64'],
      ['int8', 'INT8'], ['int16', 'INT16'], ['int32', 'INT32'], ['int64', 'INT64'], ['float16', 'FP16'],
      ['float32', 'FP32'], ['float64', 'FP64'], ['string', 'BYTES'],
    ];
    const onnx: OnnxSignature = {
      inputs: types.map(([t]) => ({ name: t, type: t, shape: [2] })),
      outputs: [{ name: 'out', type: 'float32', shape: [2] }],
    };
    expect(complete(null, onnx, 'm').input.map((i) => i.datatype)).toEqual(types.map(([, d]) => d));
  });

  it('gives a scalar tensor dims [] and does not batch', () => {
    const onnx: OnnxSignature = {
      inputs: [{ name: 'x', type: 'float32', shape: [] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['n'] }],
    };
    const c = complete(null, onnx, 'm');
    expect(c.maxBatchSize).toBe(0);
    expect(c.input[0].dims).toEqual([]);
    expect(c.output[0].dims).toEqual([-1]);
  });
});

describe('completeModelConfig with a partial config.pbtxt', () => {
  it("completes Triton's `simple` config (I/O given in full) and keeps its values", () => {
    const c = complete(
      config(`
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
`),
    );
    expect(c.maxBatchSize).toBe(8);
    expect(c.input.map((i) => [i.name, i.datatype, i.dims])).toEqual([
      ['INPUT0', 'INT32', [16]],
      ['INPUT1', 'INT32', [16]],
    ]);
    expect(c.output.map((o) => [o.name, o.datatype, o.dims])).toEqual([
      ['OUTPUT0', 'INT32', [16]],
      ['OUTPUT1', 'INT32', [16]],
    ]);
  });

  it('fills I/O the config leaves out, after the listed ones; fills data_type and dims of listed ones', () => {
    const c = complete(config('input [ { name: "INPUT1" } ]\noutput [ { name: "OUTPUT1" data_type: TYPE_INT32 } ]'));
    expect(c.maxBatchSize).toBe(4);
    expect(c.input.map((i) => [i.name, i.datatype, i.dims])).toEqual([
      ['INPUT1', 'INT32', [16]],
      ['INPUT0', 'INT32', [16]],
    ]);
    expect(c.output.map((o) => o.name)).toEqual(['OUTPUT1', 'OUTPUT0']);
  });

  it('lets an input pin a dim the model leaves dynamic', () => {
    const onnx: OnnxSignature = {
      inputs: [{ name: 'x', type: 'float32', shape: ['b', 'h', 'w'] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['b', 10] }],
    };
    const c = complete(config('max_batch_size: 2 input { name: "x" dims: [ 28, -1 ] }'), onnx, 'm');
    expect(c.input[0].dims).toEqual([28, -1]);
    expect(c.output[0].dims).toEqual([10]);
  });

  it('explicit max_batch_size 0 keeps the full shape of a batchable model', () => {
    const c = complete(config('max_batch_size: 0'));
    expect(c.maxBatchSize).toBe(0);
    expect(c.input.map((i) => i.dims)).toEqual([
      [-1, 16],
      [-1, 16],
    ]);
    expect(c.output.map((o) => o.dims)).toEqual([
      [-1, 16],
      [-1, 16],
    ]);
  });

  it('max_batch_size absent but full-rank dims in the config: stays unbatched', () => {
    const c = complete(config('input { name: "INPUT0" dims: [ -1, 16 ] }'));
    expect(c.maxBatchSize).toBe(0);
    expect(c.input.map((i) => [i.name, i.dims])).toEqual([
      ['INPUT0', [-1, 16]],
      ['INPUT1', [-1, 16]],
    ]);
  });

  it('max_batch_size absent and dims without the batch dim: batches with the default', () => {
    const c = complete(config('input { name: "INPUT0" dims: [ 16 ] }'));
    expect(c.maxBatchSize).toBe(4);
    expect(c.input[0].dims).toEqual([16]);
  });

  it('fills version policy, instance groups and the rest from the config', () => {
    const c = complete(
      config(`
name: "simple"
backend: "onnxruntime"
version_policy { specific { versions: [ 1, 3 ] } }
instance_group [ { kind: KIND_GPU gpus: [ 0, 1 ] count: 2 }, { name: "cpu" kind: KIND_CPU }, { kind: KIND_AUTO gpus: 2 }, { count: 3 } ]
parameters { key: "intra_op_thread_count" value { string_value: "2" } }
parameters { key: "loop.feedback" value { string_value: "OUTPUT0:INPUT0" } }
default_model_filename: "net.onnx"
model_transaction_policy { decoupled: true }
response_cache { enable: true }
`),
    );
    expect(c.versionPolicy).toEqual({ kind: 'specific', versions: [1, 3] });
    expect(c.instanceGroup).toEqual([
      { name: 'simple_0', kind: 'KIND_GPU', count: 2, gpus: [0, 1] },
      { name: 'cpu', kind: 'KIND_CPU', count: 1, gpus: [] },
      { name: 'simple_2', kind: 'KIND_GPU', count: 1, gpus: [2] },
      { name: 'simple_3', kind: 'KIND_CPU', count: 3, gpus: [] },
    ]);
    expect(c.parameters).toEqual({ intra_op_thread_count: '2', 'loop.feedback': 'OUTPUT0:INPUT0' });
    expect(c.defaultModelFilename).toBe('net.onnx');
    expect(c.decoupled).toBe(true);
    expect(c.loop?.feedback).toEqual([{ output: 'OUTPUT0', input: 'INPUT0' }]);
    expect(c.responseCache).toBe(true);
  });

  it('an empty instance_group list gets the default group', () => {
    expect(complete({ instanceGroup: [] }).instanceGroup).toEqual([{ name: 'simple', kind: 'KIND_CPU', count: 1, gpus: [] }]);
  });

  it('fills dynamic_batching with Triton defaults', () => {
    const c = complete(config('dynamic_batching { }'));
    expect(c.dynamicBatching).toEqual({
      preferredBatchSize: [],
      maxQueueDelayMicroseconds: 0,
      preserveOrdering: false,
      priorityLevels: 0,
      defaultPriorityLevel: 0,
      defaultQueuePolicy: DEFAULT_QUEUE_POLICY,
      priorityQueuePolicy: new Map(),
    });
  });

  it('fills dynamic_batching queue policies field by field', () => {
    const c = complete(
      config(`
max_batch_size: 8
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 100
  priority_levels: 3
  default_priority_level: 2
  default_queue_policy { max_queue_size: 16 }
  priority_queue_policy { key: 1 value { timeout_action: DELAY default_timeout_microseconds: 500 } }
  priority_queue_policy { key: 3 }
}`),
    );
    expect(c.dynamicBatching).toEqual({
      preferredBatchSize: [4, 8],
      maxQueueDelayMicroseconds: 100,
      preserveOrdering: false,
      priorityLevels: 3,
      defaultPriorityLevel: 2,
      defaultQueuePolicy: { timeoutAction: 'REJECT', defaultTimeoutMicroseconds: 0, allowTimeoutOverride: false, maxQueueSize: 16 },
      priorityQueuePolicy: new Map([
        [1, { timeoutAction: 'DELAY', defaultTimeoutMicroseconds: 500, allowTimeoutOverride: false, maxQueueSize: 0 }],
        [3, DEFAULT_QUEUE_POLICY],
      ]),
    });
  });

  it('does not share or mutate the partial config and its defaults', () => {
    const partial = config('parameters { key: "a" value { string_value: "b" } } instance_group { gpus: [0] }');
    const c = complete(partial);
    c.parameters.x = 'y';
    c.instanceGroup[0].gpus.push(9);
    expect(partial.parameters).toEqual({ a: 'b' });
    expect(partial.instanceGroup![0].gpus).toEqual([0]);
    const db = complete(config('dynamic_batching { }')).dynamicBatching!;
    db.defaultQueuePolicy.maxQueueSize = 99;
    expect(DEFAULT_QUEUE_POLICY.maxQueueSize).toBe(0);
  });

  it('accepts empty name, platform, backend and default_model_filename as absent (proto3 defaults)', () => {
    const c = complete({ name: '', platform: '', backend: '', defaultModelFilename: '' });
    expect([c.name, c.platform, c.backend, c.defaultModelFilename]).toEqual(['simple', 'onnxruntime_onnx', 'onnxruntime', 'model.onnx']);
  });
});

describe('completeModelConfig errors', () => {
  it('config name differs from the directory name', () => {
    expect(failure(config('name: "other"'))).toBe("config.pbtxt names the model 'other' but its directory is 'simple'; they must match");
  });

  it('platform or backend other than onnxruntime', () => {
    expect(failure({ platform: 'tensorrt_plan' })).toBe(
      "config.pbtxt platform 'tensorrt_plan' is not supported: inferd serves only 'onnxruntime_onnx' models",
    );
    expect(failure({ backend: 'python' })).toBe("config.pbtxt backend 'python' is not supported: inferd serves only the 'onnxruntime' backend");
  });

  it('a listed tensor the model does not have, naming the model tensors', () => {
    expect(failure(config('input { name: "INPUT9" }'))).toBe(
      "input 'INPUT9' in config.pbtxt is not an input of the ONNX model (its inputs: 'INPUT0', 'INPUT1')",
    );
    expect(failure(config('output { name: "INPUT0" }'))).toBe(
      "output 'INPUT0' in config.pbtxt is not an output of the ONNX model (its outputs: 'OUTPUT0', 'OUTPUT1')",
    );
  });

  it('datatype mismatch', () => {
    expect(failure(config('input { name: "INPUT0" data_type: TYPE_FP32 }'))).toBe(
      "input 'INPUT0': config.pbtxt says TYPE_FP32, the ONNX model has TYPE_INT32",
    );
    expect(failure(config('output { name: "OUTPUT1" data_type: TYPE_STRING }'))).toBe(
      "output 'OUTPUT1': config.pbtxt says TYPE_STRING, the ONNX model has TYPE_INT32",
    );
  });

  it('dims of the wrong rank or a fixed dim that differs', () => {
    expect(failure(config('max_batch_size: 8 input { name: "INPUT0" dims: [ -1, 16 ] }'))).toBe(
      "input 'INPUT0': config.pbtxt dims [-1, 16] do not match the ONNX model's shape [-1, 16] (max_batch_size 8: dims leave out the batch dim)",
    );
    expect(failure(config('input { name: "x" dims: [ 1, 3, 224, 225 ] }'), FIXED, 'resnet')).toBe(
      "input 'x': config.pbtxt dims [1, 3, 224, 225] do not match the ONNX model's shape [1, 3, 224, 224]",
    );
    expect(failure(config('output { name: "y" dims: [ 1000 ] }'), FIXED, 'resnet')).toBe(
      "output 'y': config.pbtxt dims [1000] do not match the ONNX model's shape [1, 1000]; output dims must equal the model's (-1 where it is dynamic)",
    );
  });

  it('an output may not pin a dim the model leaves dynamic (Triton compares outputs exactly)', () => {
    const onnx: OnnxSignature = {
      inputs: [{ name: 'x', type: 'float32', shape: ['n'] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['n'] }],
    };
    expect(failure(config('max_batch_size: 0 output { name: "y" dims: [ 4 ] }'), onnx, 'm')).toBe(
      "output 'y': config.pbtxt dims [4] do not match the ONNX model's shape [-1]; output dims must equal the model's (-1 where it is dynamic)",
    );
  });

  it('a scalar model tensor needs dims []', () => {
    const onnx: OnnxSignature = { inputs: [{ name: 'x', type: 'float32', shape: [] }], outputs: [{ name: 'y', type: 'float32', shape: [] }] };
    expect(complete(config('input { name: "x" dims: [] }'), onnx, 'm').input[0].dims).toEqual([]);
    expect(failure(config('input { name: "x" dims: [ 1 ] }'), onnx, 'm')).toBe(
      "input 'x': config.pbtxt dims [1] do not match the ONNX model's shape []",
    );
  });

  it('max_batch_size > 0 but a model tensor has a fixed first dim', () => {
    expect(failure(config('max_batch_size: 8'), FIXED, 'resnet')).toBe(
      "max_batch_size is 8 but input 'x' of the ONNX model has shape [1, 3, 224, 224]: a batching model needs a dynamic first dim " +
        'on every input and output (set max_batch_size: 0 to serve the full shape)',
    );
    const onnx: OnnxSignature = {
      inputs: [{ name: 'x', type: 'float32', shape: ['b', 4] }],
      outputs: [{ name: 'y', type: 'float32', shape: [] }],
    };
    expect(failure({ maxBatchSize: 2 }, onnx, 'm')).toBe(
      "max_batch_size is 2 but output 'y' of the ONNX model has shape []: a batching model needs a dynamic first dim " +
        'on every input and output (set max_batch_size: 0 to serve the full shape)',
    );
  });

  it('optional input in a batching model', () => {
    expect(failure(config('input { name: "INPUT0" optional: true }'))).toBe(
      "input 'INPUT0': optional inputs are not supported for models that batch (max_batch_size 4)",
    );
    expect(complete(config('max_batch_size: 0 input { name: "INPUT0" optional: true }')).input[0].optional).toBe(true);
  });

  it('a tensor listed twice', () => {
    expect(failure(config('input { name: "INPUT0" } input { name: "INPUT0" }'))).toBe("input 'INPUT0' is listed twice in config.pbtxt");
  });

  it('BF16, non-tensor and unsupported model I/O', () => {
    const bf16: OnnxSignature = { inputs: [{ name: 'x', type: 'bfloat16', shape: [2] }], outputs: [] };
    expect(failure(null, bf16, 'm')).toBe(
      "input 'x' of the ONNX model is bfloat16 (TYPE_BF16): onnxruntime-node cannot feed bfloat16 tensors",
    );
    const seq: OnnxSignature = { inputs: [{ name: 'x', type: 'float32', shape: [2] }], outputs: [{ name: 'seq', isTensor: false }] };
    expect(failure(null, seq, 'm')).toBe(
      "output 'seq' of the ONNX model is not a tensor (a sequence or map); inferd serves tensor inputs and outputs only",
    );
    const int4: OnnxSignature = { inputs: [{ name: 'w', type: 'int4', shape: [8] }], outputs: [] };
    expect(failure(null, int4, 'm')).toBe("input 'w' of the ONNX model has type 'int4', which inferd does not support");
  });

  it('KIND_CPU with gpus', () => {
    expect(failure(config('instance_group { name: "g" kind: KIND_CPU gpus: [0] }'))).toBe(
      "instance_group 'g' has kind KIND_CPU but lists gpus [0]",
    );
  });

  it('dynamic_batching values Triton rejects', () => {
    expect(failure(config('max_batch_size: 4 dynamic_batching { preferred_batch_size: [ 2, 8 ] }'))).toBe(
      'dynamic_batching: preferred_batch_size 8 is larger than max_batch_size 4',
    );
    expect(failure(config('max_batch_size: 0 dynamic_batching { preferred_batch_size: 1 }'))).toBe(
      'dynamic_batching: preferred_batch_size 1 is larger than max_batch_size 0',
    );
    expect(failure(config('dynamic_batching { priority_levels: 2 }'))).toBe(
      'dynamic_batching: default_priority_level 0 must be in [1, priority_levels 2]',
    );
    expect(failure(config('dynamic_batching { priority_levels: 2 default_priority_level: 3 }'))).toBe(
      'dynamic_batching: default_priority_level 3 must be in [1, priority_levels 2]',
    );
    expect(failure(config('dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 3 } }'))).toBe(
      'dynamic_batching: priority_queue_policy key 3 must be in [1, priority_levels 2]',
    );
    expect(failure(config('dynamic_batching { priority_queue_policy { key: 1 } }'))).toBe(
      'dynamic_batching: priority_queue_policy key 1 must be in [1, priority_levels 0]',
    );
  });
});
