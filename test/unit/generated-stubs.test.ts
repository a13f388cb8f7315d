// Guards the protocol definitions in proto/ and the committed ts-proto stubs in generated/:
//  - `buf lint` passes;
//  - `buf generate` reproduces generated/ byte for byte (so a .proto edited without `npm run generate` fails here);
//  - the compiled descriptors still have NVIDIA Triton's message/field/enum names, numbers and types, and Triton's
//    service methods (wire compatibility with tritonclient.grpc is the point of these files);
//  - the ts-proto stubs and an independent protobuf implementation (@grpc/proto-loader + protobufjs, reading proto/)
//    agree on the bytes.
// Runs from dist/test/unit after `tsc`; the repository root is three levels up.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protoLoader from '@grpc/proto-loader';
import { createFileRegistry, fromBinary, ScalarType, type DescField, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import {
  GRPCInferenceServiceService,
  ModelConfigResponse,
  ModelInferRequest,
  ModelInferResponse,
} from '../../generated/inference/grpc_service';
import {
  DataType,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  ModelQueuePolicy_TimeoutAction,
} from '../../generated/inference/model_config';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const BUF = path.join(REPO_ROOT, 'node_modules', '.bin', 'buf');
const PROTO_DIR = path.join(REPO_ROOT, 'proto');
const GENERATED_DIR = path.join(REPO_ROOT, 'generated');
const BUF_TIMEOUT_MS = 120_000;

function runBuf(args: string[]): string {
  try {
    return execFileSync(BUF, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message?: string };
    throw new Error(`buf ${args.join(' ')} failed (exit ${e.status}):\n${e.stdout ?? ''}${e.stderr ?? e.message ?? ''}`);
  }
}

function listFiles(root: string, dir = root): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, full));
    else out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out.sort();
}

let tmpDir: string;

beforeAll(() => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-generated-stubs-'));
});

afterAll(() => {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('proto/ and buf configuration', () => {
  it('passes `buf lint`', () => {
    expect(() => runBuf(['lint'])).not.toThrow();
  }, BUF_TIMEOUT_MS);

  it('`buf generate` reproduces the committed generated/ exactly', () => {
    const outBase = path.join(tmpDir, 'gen');
    runBuf(['generate', '--output', outBase]);
    const fresh = path.join(outBase, 'generated');

    const freshFiles = listFiles(fresh);
    const committedFiles = listFiles(GENERATED_DIR);
    expect(freshFiles.length).toBeGreaterThan(0);
    // Missing or extra files under generated/ (e.g. a .proto added or removed without regenerating).
    expect(committedFiles).toEqual(freshFiles);

    const stale = freshFiles.filter(
      (rel) => !fs.readFileSync(path.join(fresh, rel)).equals(fs.readFileSync(path.join(GENERATED_DIR, rel))),
    );
    // Non-empty means generated/ is out of date with proto/ or buf.gen.yaml: run `npm run generate`.
    expect(stale).toEqual([]);
  }, BUF_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------------------------
// Triton layout. Transcribed independently from Triton's grpc_service.proto / model_config.proto (not from proto/),
// one line per field as `<type> <name> = <number>`, sorted by number. model_config.proto is a deliberate subset of
// Triton's; every field listed must match Triton. A change here must be a change Triton made.
// ---------------------------------------------------------------------------------------------------------------

const PARAM_CHOICE = '[oneof parameter_choice]';

const TRITON_MESSAGES: Record<string, string[]> = {
  // grpc_service.proto
  ServerLiveRequest: [],
  ServerLiveResponse: ['bool live = 1'],
  ServerReadyRequest: [],
  ServerReadyResponse: ['bool ready = 1'],
  ModelReadyRequest: ['string name = 1', 'string version = 2'],
  ModelReadyResponse: ['bool ready = 1'],
  ServerMetadataRequest: [],
  ServerMetadataResponse: ['string name = 1', 'string version = 2', 'repeated string extensions = 3'],
  ModelMetadataRequest: ['string name = 1', 'string version = 2'],
  ModelMetadataResponse: [
    'string name = 1',
    'repeated string versions = 2',
    'string platform = 3',
    'repeated ModelMetadataResponse.TensorMetadata inputs = 4',
    'repeated ModelMetadataResponse.TensorMetadata outputs = 5',
  ],
  'ModelMetadataResponse.TensorMetadata': ['string name = 1', 'string datatype = 2', 'repeated int64 shape = 3'],
  InferParameter: [
    `bool bool_param = 1 ${PARAM_CHOICE}`,
    `int64 int64_param = 2 ${PARAM_CHOICE}`,
    `string string_param = 3 ${PARAM_CHOICE}`,
    `double double_param = 4 ${PARAM_CHOICE}`,
    `uint64 uint64_param = 5 ${PARAM_CHOICE}`,
  ],
  InferTensorContents: [
    'repeated bool bool_contents = 1',
    'repeated int32 int_contents = 2',
    'repeated int64 int64_contents = 3',
    'repeated uint32 uint_contents = 4',
    'repeated uint64 uint64_contents = 5',
    'repeated float fp32_contents = 6',
    'repeated double fp64_contents = 7',
    'repeated bytes bytes_contents = 8',
  ],
  ModelInferRequest: [
    'string model_name = 1',
    'string model_version = 2',
    'string id = 3',
    'map<string, InferParameter> parameters = 4',
    'repeated ModelInferRequest.InferInputTensor inputs = 5',
    'repeated ModelInferRequest.InferRequestedOutputTensor outputs = 6',
    'repeated bytes raw_input_contents = 7',
  ],
  'ModelInferRequest.InferInputTensor': [
    'string name = 1',
    'string datatype = 2',
    'repeated int64 shape = 3',
    'map<string, InferParameter> parameters = 4',
    'InferTensorContents contents = 5',
  ],
  'ModelInferRequest.InferRequestedOutputTensor': ['string name = 1', 'map<string, InferParameter> parameters = 2'],
  ModelInferResponse: [
    'string model_name = 1',
    'string model_version = 2',
    'string id = 3',
    'map<string, InferParameter> parameters = 4',
    'repeated ModelInferResponse.InferOutputTensor outputs = 5',
    'repeated bytes raw_output_contents = 6',
  ],
  'ModelInferResponse.InferOutputTensor': [
    'string name = 1',
    'string datatype = 2',
    'repeated int64 shape = 3',
    'map<string, InferParameter> parameters = 4',
    'InferTensorContents contents = 5',
  ],
  ModelStreamInferResponse: ['string error_message = 1', 'ModelInferResponse infer_response = 2'],
  ModelConfigRequest: ['string name = 1', 'string version = 2'],
  ModelConfigResponse: ['ModelConfig config = 1'],
  ModelStatisticsRequest: ['string name = 1', 'string version = 2'],
  StatisticDuration: ['uint64 count = 1', 'uint64 ns = 2'],
  InferStatistics: [
    'StatisticDuration success = 1',
    'StatisticDuration fail = 2',
    'StatisticDuration queue = 3',
    'StatisticDuration compute_input = 4',
    'StatisticDuration compute_infer = 5',
    'StatisticDuration compute_output = 6',
    'StatisticDuration cache_hit = 7',
    'StatisticDuration cache_miss = 8',
  ],
  InferResponseStatistics: [
    'StatisticDuration compute_infer = 1',
    'StatisticDuration compute_output = 2',
    'StatisticDuration success = 3',
    'StatisticDuration fail = 4',
    'StatisticDuration empty_response = 5',
    'StatisticDuration cancel = 6',
  ],
  InferBatchStatistics: [
    'uint64 batch_size = 1',
    'StatisticDuration compute_input = 2',
    'StatisticDuration compute_infer = 3',
    'StatisticDuration compute_output = 4',
  ],
  MemoryUsage: ['string type = 1', 'int64 id = 2', 'uint64 byte_size = 3'],
  ModelStatistics: [
    'string name = 1',
    'string version = 2',
    'uint64 last_inference = 3',
    'uint64 inference_count = 4',
    'uint64 execution_count = 5',
    'InferStatistics inference_stats = 6',
    'repeated InferBatchStatistics batch_stats = 7',
    'repeated MemoryUsage memory_usage = 8',
    'map<string, InferResponseStatistics> response_stats = 9',
  ],
  ModelStatisticsResponse: ['repeated ModelStatistics model_stats = 1'],
  ModelRepositoryParameter: [
    `bool bool_param = 1 ${PARAM_CHOICE}`,
    `int64 int64_param = 2 ${PARAM_CHOICE}`,
    `string string_param = 3 ${PARAM_CHOICE}`,
    `bytes bytes_param = 4 ${PARAM_CHOICE}`,
  ],
  RepositoryIndexRequest: ['string repository_name = 1', 'bool ready = 2'],
  RepositoryIndexResponse: ['repeated RepositoryIndexResponse.ModelIndex models = 1'],
  'RepositoryIndexResponse.ModelIndex': [
    'string name = 1',
    'string version = 2',
    'string state = 3',
    'string reason = 4',
  ],
  RepositoryModelLoadRequest: [
    'string repository_name = 1',
    'string model_name = 2',
    'map<string, ModelRepositoryParameter> parameters = 3',
  ],
  RepositoryModelLoadResponse: [],
  RepositoryModelUnloadRequest: [
    'string repository_name = 1',
    'string model_name = 2',
    'map<string, ModelRepositoryParameter> parameters = 3',
  ],
  RepositoryModelUnloadResponse: [],

  // model_config.proto (subset)
  ModelInstanceGroup: [
    'string name = 1',
    'int32 count = 2',
    'repeated int32 gpus = 3',
    'ModelInstanceGroup.Kind kind = 4',
  ],
  ModelInput: [
    'string name = 1',
    'DataType data_type = 2',
    'ModelInput.Format format = 3',
    'repeated int64 dims = 4',
    'bool optional = 8',
  ],
  ModelOutput: ['string name = 1', 'DataType data_type = 2', 'repeated int64 dims = 3'],
  ModelVersionPolicy: [
    'ModelVersionPolicy.Latest latest = 1 [oneof policy_choice]',
    'ModelVersionPolicy.All all = 2 [oneof policy_choice]',
    'ModelVersionPolicy.Specific specific = 3 [oneof policy_choice]',
  ],
  'ModelVersionPolicy.Latest': ['uint32 num_versions = 1'],
  'ModelVersionPolicy.All': [],
  'ModelVersionPolicy.Specific': ['repeated int64 versions = 1'],
  ModelQueuePolicy: [
    'ModelQueuePolicy.TimeoutAction timeout_action = 1',
    'uint64 default_timeout_microseconds = 2',
    'bool allow_timeout_override = 3',
    'uint32 max_queue_size = 4',
  ],
  ModelDynamicBatching: [
    'repeated int32 preferred_batch_size = 1',
    'uint64 max_queue_delay_microseconds = 2',
    'bool preserve_ordering = 3',
    'uint64 priority_levels = 4',
    'uint64 default_priority_level = 5',
    'ModelQueuePolicy default_queue_policy = 6',
    'map<uint64, ModelQueuePolicy> priority_queue_policy = 7',
  ],
  ModelParameter: ['string string_value = 1'],
  ModelTransactionPolicy: ['bool decoupled = 1'],
  ModelResponseCache: ['bool enable = 1'],
  ModelConfig: [
    'string name = 1',
    'string platform = 2',
    'ModelVersionPolicy version_policy = 3',
    'int32 max_batch_size = 4',
    'repeated ModelInput input = 5',
    'repeated ModelOutput output = 6',
    'repeated ModelInstanceGroup instance_group = 7',
    'string default_model_filename = 8',
    'ModelDynamicBatching dynamic_batching = 11 [oneof scheduling_choice]',
    'map<string, ModelParameter> parameters = 14',
    'string backend = 17',
    'ModelTransactionPolicy model_transaction_policy = 19',
    'ModelResponseCache response_cache = 24',
  ],
};

const TRITON_ENUMS: Record<string, string[]> = {
  DataType: [
    'TYPE_INVALID = 0',
    'TYPE_BOOL = 1',
    'TYPE_UINT8 = 2',
    'TYPE_UINT16 = 3',
    'TYPE_UINT32 = 4',
    'TYPE_UINT64 = 5',
    'TYPE_INT8 = 6',
    'TYPE_INT16 = 7',
    'TYPE_INT32 = 8',
    'TYPE_INT64 = 9',
    'TYPE_FP16 = 10',
    'TYPE_FP32 = 11',
    'TYPE_FP64 = 12',
    'TYPE_STRING = 13',
    'TYPE_BF16 = 14',
  ],
  'ModelInstanceGroup.Kind': ['KIND_AUTO = 0', 'KIND_GPU = 1', 'KIND_CPU = 2', 'KIND_MODEL = 3'],
  'ModelInput.Format': ['FORMAT_NONE = 0', 'FORMAT_NHWC = 1', 'FORMAT_NCHW = 2'],
  'ModelQueuePolicy.TimeoutAction': ['REJECT = 0', 'DELAY = 1'],
};

// Triton's RPCs minus shared-memory, trace and log settings (which inferd intentionally leaves out).
const TRITON_RPCS = [
  'rpc ServerLive(ServerLiveRequest) returns (ServerLiveResponse)',
  'rpc ServerReady(ServerReadyRequest) returns (ServerReadyResponse)',
  'rpc ModelReady(ModelReadyRequest) returns (ModelReadyResponse)',
  'rpc ServerMetadata(ServerMetadataRequest) returns (ServerMetadataResponse)',
  'rpc ModelMetadata(ModelMetadataRequest) returns (ModelMetadataResponse)',
  'rpc ModelInfer(ModelInferRequest) returns (ModelInferResponse)',
  'rpc ModelStreamInfer(stream ModelInferRequest) returns (stream ModelStreamInferResponse)',
  'rpc ModelConfig(ModelConfigRequest) returns (ModelConfigResponse)',
  'rpc ModelStatistics(ModelStatisticsRequest) returns (ModelStatisticsResponse)',
  'rpc RepositoryIndex(RepositoryIndexRequest) returns (RepositoryIndexResponse)',
  'rpc RepositoryModelLoad(RepositoryModelLoadRequest) returns (RepositoryModelLoadResponse)',
  'rpc RepositoryModelUnload(RepositoryModelUnloadRequest) returns (RepositoryModelUnloadResponse)',
];

const PKG = 'inference.';
const short = (typeName: string): string => (typeName.startsWith(PKG) ? typeName.slice(PKG.length) : typeName);
const scalarName = (t: ScalarType): string => ScalarType[t].toLowerCase();

function renderField(f: DescField): string {
  let type: string;
  switch (f.fieldKind) {
    case 'scalar':
      type = scalarName(f.scalar);
      break;
    case 'enum':
      type = short(f.enum.typeName);
      break;
    case 'message':
      type = short(f.message.typeName);
      break;
    case 'list':
      type = `repeated ${
        f.listKind === 'scalar' ? scalarName(f.scalar) : short((f.listKind === 'enum' ? f.enum : f.message).typeName)
      }`;
      break;
    case 'map':
      type = `map<${scalarName(f.mapKey)}, ${
        f.mapKind === 'scalar' ? scalarName(f.scalar) : short((f.mapKind === 'enum' ? f.enum : f.message).typeName)
      }>`;
      break;
  }
  return `${type} ${f.name} = ${f.number}${f.oneof ? ` [oneof ${f.oneof.name}]` : ''}`;
}

describe('wire layout matches Triton', () => {
  let registry: FileRegistry;

  beforeAll(() => {
    const image = path.join(tmpDir, 'image.binpb');
    runBuf(['build', '--as-file-descriptor-set', '--exclude-source-info', '--output', image]);
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, fs.readFileSync(image)));
  }, BUF_TIMEOUT_MS);

  it('declares exactly the expected messages and enums, in package inference', () => {
    const messages: string[] = [];
    const enums: string[] = [];
    for (const type of registry) {
      if (type.kind === 'message') messages.push(type.typeName);
      if (type.kind === 'enum') enums.push(type.typeName);
    }
    expect(messages.sort()).toEqual(Object.keys(TRITON_MESSAGES).map((n) => PKG + n).sort());
    expect(enums.sort()).toEqual(Object.keys(TRITON_ENUMS).map((n) => PKG + n).sort());
  });

  it.each(Object.keys(TRITON_MESSAGES))('message %s has Triton field names, numbers and types', (name) => {
    const desc = registry.getMessage(PKG + name);
    expect(desc).toBeDefined();
    const fields = [...desc!.fields].sort((a, b) => a.number - b.number).map(renderField);
    expect(fields).toEqual(TRITON_MESSAGES[name]);
  });

  it.each(Object.keys(TRITON_ENUMS))('enum %s has Triton value names and numbers', (name) => {
    const desc = registry.getEnum(PKG + name);
    expect(desc).toBeDefined();
    expect(desc!.values.map((v) => `${v.name} = ${v.number}`)).toEqual(TRITON_ENUMS[name]);
  });

  it('service inference.GRPCInferenceService has Triton RPCs (less shm/trace/log)', () => {
    const service = registry.getService('inference.GRPCInferenceService');
    expect(service).toBeDefined();
    const rpcs = service!.methods.map((m) => {
      const clientStream = m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming';
      const serverStream = m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming';
      return (
        `rpc ${m.name}(${clientStream ? 'stream ' : ''}${short(m.input.typeName)}) ` +
        `returns (${serverStream ? 'stream ' : ''}${short(m.output.typeName)})`
      );
    });
    expect(rpcs).toEqual(TRITON_RPCS);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Cross-implementation round trips: ts-proto (generated/) <-> protobufjs via @grpc/proto-loader (reading proto/).
// ---------------------------------------------------------------------------------------------------------------

describe('generated stubs agree with proto/ on the wire', () => {
  const packageDefinition = protoLoader.loadSync('inference/grpc_service.proto', {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaderService = packageDefinition['inference.GRPCInferenceService'] as protoLoader.ServiceDefinition;
  const U64_MAX = 18446744073709551615n;

  it('service definitions have the same methods, paths and streaming flags', () => {
    const tsMethods = Object.values(GRPCInferenceServiceService).map((m) => [m.path, m.requestStream, m.responseStream]);
    const loaderMethods = Object.values(loaderService).map((m) => [m.path, m.requestStream, m.responseStream]);
    expect(tsMethods).toEqual(loaderMethods);
    expect(GRPCInferenceServiceService.modelStreamInfer).toMatchObject({
      path: '/inference.GRPCInferenceService/ModelStreamInfer',
      requestStream: true,
      responseStream: true,
    });
  });

  it('ModelInferRequest: ts-proto encode -> protobufjs decode', () => {
    const request = ModelInferRequest.fromPartial({
      modelName: 'simple',
      modelVersion: '3',
      id: 'req-1',
      parameters: {
        f: { boolParam: false }, // oneof member set to its default value: still present on the wire
        i: { int64Param: -5n },
        s: { stringParam: 'x' },
        d: { doubleParam: 0.25 },
        u: { uint64Param: U64_MAX },
      },
      inputs: [
        {
          name: 'INPUT0',
          datatype: 'INT64',
          shape: [2n, -1n],
          parameters: { t: { boolParam: true } },
          contents: {
            boolContents: [true, false],
            intContents: [-1, 2147483647],
            int64Contents: [-9007199254740993n, 7n],
            uintContents: [4294967295],
            uint64Contents: [U64_MAX],
            fp32Contents: [0.5, -1.25],
            fp64Contents: [Math.PI],
            bytesContents: [Buffer.from('hello'), Buffer.alloc(0)],
          },
        },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: { boolParam: true } } }],
      rawInputContents: [Buffer.from([1, 2, 3, 4])],
    });

    const wire = GRPCInferenceServiceService.modelInfer.requestSerialize(request);
    const decoded = loaderService.ModelInfer.requestDeserialize(wire);

    expect(decoded).toEqual({
      model_name: 'simple',
      model_version: '3',
      id: 'req-1',
      parameters: {
        f: { bool_param: false, parameter_choice: 'bool_param' },
        i: { int64_param: '-5', parameter_choice: 'int64_param' },
        s: { string_param: 'x', parameter_choice: 'string_param' },
        d: { double_param: 0.25, parameter_choice: 'double_param' },
        u: { uint64_param: '18446744073709551615', parameter_choice: 'uint64_param' },
      },
      inputs: [
        {
          name: 'INPUT0',
          datatype: 'INT64',
          shape: ['2', '-1'],
          parameters: { t: { bool_param: true, parameter_choice: 'bool_param' } },
          contents: {
            bool_contents: [true, false],
            int_contents: [-1, 2147483647],
            int64_contents: ['-9007199254740993', '7'],
            uint_contents: [4294967295],
            uint64_contents: ['18446744073709551615'],
            fp32_contents: [0.5, -1.25],
            fp64_contents: [Math.PI],
            bytes_contents: [Buffer.from('hello'), Buffer.alloc(0)],
          },
        },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: { bool_param: true, parameter_choice: 'bool_param' } } }],
      raw_input_contents: [Buffer.from([1, 2, 3, 4])],
    });
  });

  it('ModelInferResponse: protobufjs encode -> ts-proto decode', () => {
    const wire = loaderService.ModelInfer.responseSerialize({
      model_name: 'simple',
      model_version: '1',
      id: 'req-1',
      parameters: { u: { uint64_param: '18446744073709551615' }, n: { int64_param: '-2' } },
      outputs: [
        {
          name: 'OUTPUT0',
          datatype: 'FP32',
          shape: ['1', '2'],
          parameters: { q: { double_param: 1.5 } },
          contents: { fp32_contents: [0.5, -1.25], uint64_contents: ['42'] },
        },
      ],
      raw_output_contents: [Buffer.from([9, 8, 7])],
    });

    const decoded = ModelInferResponse.decode(wire);

    expect(decoded).toEqual(
      ModelInferResponse.fromPartial({
        modelName: 'simple',
        modelVersion: '1',
        id: 'req-1',
        parameters: { u: { uint64Param: U64_MAX }, n: { int64Param: -2n } },
        outputs: [
          {
            name: 'OUTPUT0',
            datatype: 'FP32',
            shape: [1n, 2n],
            parameters: { q: { doubleParam: 1.5 } },
            contents: { fp32Contents: [0.5, -1.25], uint64Contents: [42n] },
          },
        ],
        rawOutputContents: [Buffer.from([9, 8, 7])],
      }),
    );
    expect(decoded.parameters.u.uint64Param).toBe(U64_MAX);
    expect(Buffer.isBuffer(decoded.rawOutputContents[0])).toBe(true);
  });

  it('ModelConfigResponse (model_config.proto): ts-proto encode -> protobufjs decode', () => {
    const response = ModelConfigResponse.fromPartial({
      config: {
        name: 'resnet',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        versionPolicy: { specific: { versions: [1n, 3n] } },
        maxBatchSize: 8,
        input: [
          { name: 'x', dataType: DataType.TYPE_FP32, format: ModelInput_Format.FORMAT_NCHW, dims: [3n, -1n], optional: true },
        ],
        output: [{ name: 'y', dataType: DataType.TYPE_BF16, dims: [1000n] }],
        dynamicBatching: {
          preferredBatchSize: [4, 8],
          maxQueueDelayMicroseconds: 100n,
          preserveOrdering: true,
          priorityLevels: 2n,
          defaultPriorityLevel: 1n,
          defaultQueuePolicy: {
            timeoutAction: ModelQueuePolicy_TimeoutAction.DELAY,
            defaultTimeoutMicroseconds: 5000n,
            allowTimeoutOverride: true,
            maxQueueSize: 16,
          },
        },
        instanceGroup: [{ name: 'cpu', kind: ModelInstanceGroup_Kind.KIND_CPU, count: 2, gpus: [0, 1] }],
        defaultModelFilename: 'model.onnx',
        parameters: { k: { stringValue: 'v' } },
        modelTransactionPolicy: { decoupled: true },
        responseCache: { enable: true },
      },
    });
    response.config!.dynamicBatching!.priorityQueuePolicy.set(2n, {
      timeoutAction: ModelQueuePolicy_TimeoutAction.REJECT,
      defaultTimeoutMicroseconds: 0n,
      allowTimeoutOverride: false,
      maxQueueSize: 4,
    });

    const wire = GRPCInferenceServiceService.modelConfig.responseSerialize(response);
    const decoded = loaderService.ModelConfig.responseDeserialize(wire) as { config: Record<string, unknown> };
    const { priority_queue_policy: priorityQueuePolicy, ...dynamicBatching } = decoded.config.dynamic_batching as Record<
      string,
      unknown
    >;

    expect({ ...decoded.config, dynamic_batching: dynamicBatching }).toEqual({
      name: 'resnet',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { specific: { versions: ['1', '3'] }, policy_choice: 'specific' },
      max_batch_size: 8,
      input: [{ name: 'x', data_type: 'TYPE_FP32', format: 'FORMAT_NCHW', dims: ['3', '-1'], optional: true }],
      output: [{ name: 'y', data_type: 'TYPE_BF16', dims: ['1000'] }],
      dynamic_batching: {
        preferred_batch_size: [4, 8],
        max_queue_delay_microseconds: '100',
        preserve_ordering: true,
        priority_levels: '2',
        default_priority_level: '1',
        default_queue_policy: {
          timeout_action: 'DELAY',
          default_timeout_microseconds: '5000',
          allow_timeout_override: true,
          max_queue_size: 16,
        },
      },
      scheduling_choice: 'dynamic_batching',
      instance_group: [{ name: 'cpu', kind: 'KIND_CPU', count: 2, gpus: [0, 1] }],
      default_model_filename: 'model.onnx',
      parameters: { k: { string_value: 'v' } },
      model_transaction_policy: { decoupled: true },
      response_cache: { enable: true },
    });
    // protobufjs keys 64-bit map entries by an internal hash string, so only the values are compared here.
    expect(Object.values(priorityQueuePolicy as Record<string, unknown>)).toEqual([{ max_queue_size: 4 }]);
  });
});
