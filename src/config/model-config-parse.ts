// Maps the generic pbtxt tree (pbtxt.ts) of a Triton config.pbtxt onto a PartialModelConfig: the fields
// inferd understands, each left undefined when the file does not give it, so auto-complete
// (autocomplete.ts) can tell "absent" from "given". Unknown and unsupported fields warn; values of the
// wrong kind throw, naming file, line and field.

import { datatypeFromConfig, type Datatype } from '../tensor/datatypes';
import type { InstanceKind, QueuePolicy, TimeoutAction, VersionPolicy } from './model-config';
import { integerFromText, parsePbtxt, type PbMessage, type PbPosition, type PbValue } from './pbtxt';

export interface PartialTensorConfig {
  name: string;
  datatype?: Datatype;
  dims?: number[];
  optional?: boolean;
}

export interface PartialInstanceGroup {
  name?: string;
  kind?: InstanceKind;
  count?: number;
  gpus?: number[];
}

export type PartialQueuePolicy = Partial<QueuePolicy>;

export interface PartialDynamicBatching {
  preferredBatchSize?: number[];
  maxQueueDelayMicroseconds?: number;
  preserveOrdering?: boolean;
  priorityLevels?: number;
  defaultPriorityLevel?: number;
  defaultQueuePolicy?: PartialQueuePolicy;
  priorityQueuePolicy?: Map<number, PartialQueuePolicy>;
}

export interface PartialModelConfig {
  name?: string;
  platform?: string;
  backend?: string;
  maxBatchSize?: number;
  input?: PartialTensorConfig[];
  output?: PartialTensorConfig[];
  versionPolicy?: VersionPolicy;
  instanceGroup?: PartialInstanceGroup[];
  dynamicBatching?: PartialDynamicBatching;
  parameters?: Record<string, string>;
  defaultModelFilename?: string;
  decoupled?: boolean;
  responseCache?: boolean;
}

const INT32_MAX = 2n ** 31n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Top-level Triton ModelConfig fields inferd does not implement (warned as "not supported"). */
const UNSUPPORTED_TOP = [
  'runtime', 'batch_input', 'batch_output', 'optimization', 'sequence_batching', 'ensemble_scheduling',
  'cc_model_filenames', 'metric_tags', 'model_warmup', 'model_operations', 'model_repository_agents',
];

/** A message's accepted fields, with where each first occurs. */
interface Fields {
  values: Map<string, PbValue[]>;
  positions: Map<string, PbPosition>;
}

class Mapper {
  constructor(
    private readonly source: string,
    private readonly warn: (message: string) => void,
  ) {}

  fail(at: PbPosition, field: string, detail: string): never {
    throw new Error(`${this.source}:${at.line}:${at.col}: field '${field}': ${detail}`);
  }

  /**
   * The fields of `msg` at `path`; warns once per unknown field name (and per `unsupported` one) and
   * leaves those out.
   */
  fields(msg: PbMessage, path: string, known: string[], unsupported: string[] = []): Fields {
    const out: Fields = { values: new Map(), positions: msg.positions };
    for (const [name, values] of msg.fields) {
      const at = msg.positions.get(name) as PbPosition;
      const where = `${this.source}:${at.line}:${at.col}`;
      if (known.includes(name)) out.values.set(name, values);
      else if (unsupported.includes(name)) this.warn(`${where}: field '${join(path, name)}' is not supported, ignored`);
      else this.warn(`${where}: unknown field '${join(path, name)}', ignored`);
    }
    return out;
  }

  /** The single value of a non-repeated field, or undefined. */
  one(fields: Fields, name: string, path: string): PbValue | undefined {
    const values = fields.values.get(name);
    if (values === undefined) return undefined;
    if (values.length === 0) this.fail(fields.positions.get(name) as PbPosition, join(path, name), 'expected a value got an empty list');
    if (values.length > 1) this.fail(values[1], join(path, name), 'expected a single value got a second one');
    return values[0];
  }

  string(v: PbValue, field: string): string {
    if (v.kind !== 'string') this.fail(v, field, `expected a quoted string got ${describe(v)}`);
    return v.value;
  }

  bool(v: PbValue, field: string): boolean {
    if (v.kind === 'identifier' && ['true', 'True', 't'].includes(v.value)) return true;
    if (v.kind === 'identifier' && ['false', 'False', 'f'].includes(v.value)) return false;
    if (v.kind === 'number' && (v.text === '0' || v.text === '1')) return v.text === '1';
    this.fail(v, field, `expected true or false got ${describe(v)}`);
  }

  /** An integer in [min, max] (max at most 2^53-1, so it fits a JS number exactly). */
  int(v: PbValue, field: string, min: bigint, max: bigint): number {
    const n = v.kind === 'number' ? integerFromText(v.text) : null;
    if (n === null) this.fail(v, field, `expected an integer got ${describe(v)}`);
    const top = max < SAFE_MAX ? max : SAFE_MAX;
    if (n < min || n > top) this.fail(v, field, `expected an integer in [${min}, ${top}] got ${n}`);
    return Number(n);
  }

  enumOf<T extends string>(v: PbValue, field: string, allowed: readonly T[]): T {
    if (v.kind !== 'identifier' || !(allowed as readonly string[]).includes(v.value)) {
      this.fail(v, field, `expected one of ${allowed.join(', ')} got ${describe(v)}`);
    }
    return v.value as T;
  }

  message(v: PbValue, field: string): PbMessage {
    if (v.kind !== 'message') this.fail(v, field, `expected a message { … } got ${describe(v)}`);
    return v.value;
  }

  // --- optional single fields ---

  optString(f: Fields, name: string, path: string): string | undefined {
    const v = this.one(f, name, path);
    return v && this.string(v, join(path, name));
  }

  optBool(f: Fields, name: string, path: string): boolean | undefined {
    const v = this.one(f, name, path);
    return v && this.bool(v, join(path, name));
  }

  optInt(f: Fields, name: string, path: string, min: bigint, max: bigint): number | undefined {
    const v = this.one(f, name, path);
    return v && this.int(v, join(path, name), min, max);
  }

  optMessage(f: Fields, name: string, path: string): PbMessage | undefined {
    const v = this.one(f, name, path);
    return v && this.message(v, join(path, name));
  }

  ints(f: Fields, name: string, path: string, min: bigint, max: bigint): number[] | undefined {
    return f.values.get(name)?.map((v, i) => this.int(v, `${join(path, name)}[${i}]`, min, max));
  }

  // --- Triton messages ---

  tensor(v: PbValue, path: string, isInput: boolean): PartialTensorConfig {
    const unsupported = isInput
      ? ['format', 'reshape', 'is_shape_tensor', 'allow_ragged_batch', 'is_non_linear_format_io']
      : ['reshape', 'label_filename', 'is_shape_tensor', 'is_non_linear_format_io'];
    const known = isInput ? ['name', 'data_type', 'dims', 'optional'] : ['name', 'data_type', 'dims'];
    const f = this.fields(this.message(v, path), path, known, unsupported);
    const name = this.optString(f, 'name', path);
    if (name === undefined || name === '') this.fail(v, join(path, 'name'), 'every input and output needs a name');
    const out: PartialTensorConfig = { name };
    const dt = this.one(f, 'data_type', path);
    if (dt !== undefined) {
      const typeName = dt.kind === 'identifier' ? dt.value : undefined;
      const datatype = typeName === undefined ? undefined : datatypeFromConfig(typeName);
      if (datatype === undefined) this.fail(dt, join(path, 'data_type'), `expected a TYPE_* data type (TYPE_FP32, TYPE_INT64, TYPE_STRING, …) got ${describe(dt)}`);
      out.datatype = datatype;
    }
    const dims = f.values.get('dims');
    if (dims !== undefined) {
      out.dims = dims.map((d, i) => {
        const n = this.int(d, `${join(path, 'dims')}[${i}]`, -1n, SAFE_MAX);
        if (n === 0) this.fail(d, `${join(path, 'dims')}[${i}]`, 'expected a dim >= 1, or -1 for a variable-size dim, got 0');
        return n;
      });
    }
    const optional = this.optBool(f, 'optional', path);
    if (optional !== undefined) out.optional = optional;
    return out;
  }

  versionPolicy(v: PbValue, path: string): VersionPolicy {
    const f = this.fields(this.message(v, path), path, ['latest', 'all', 'specific']);
    if (f.values.size !== 1) {
      const given = [...f.values.keys()];
      this.fail(v, path, `expected exactly one of latest, all, specific got ${given.length === 0 ? 'none' : given.join(', ')}`);
    }
    const latest = this.optMessage(f, 'latest', path);
    if (latest !== undefined) {
      const p = join(path, 'latest');
      const lf = this.fields(latest, p, ['num_versions']);
      return { kind: 'latest', numVersions: this.optInt(lf, 'num_versions', p, 1n, UINT32_MAX) ?? 1 };
    }
    const all = this.optMessage(f, 'all', path);
    if (all !== undefined) {
      this.fields(all, join(path, 'all'), []);
      return { kind: 'all' };
    }
    const p = join(path, 'specific');
    const sf = this.fields(this.optMessage(f, 'specific', path) as PbMessage, p, ['versions']);
    return { kind: 'specific', versions: this.ints(sf, 'versions', p, 0n, SAFE_MAX) ?? [] };
  }

  instanceGroup(v: PbValue, path: string): PartialInstanceGroup {
    const f = this.fields(this.message(v, path), path, ['name', 'kind', 'count', 'gpus'], [
      'rate_limiter', 'secondary_devices', 'profile', 'passive', 'host_policy',
    ]);
    const out: PartialInstanceGroup = {};
    const name = this.optString(f, 'name', path);
    if (name !== undefined) out.name = name;
    const kind = this.one(f, 'kind', path);
    if (kind !== undefined) out.kind = this.enumOf(kind, join(path, 'kind'), ['KIND_AUTO', 'KIND_CPU', 'KIND_GPU'] as const);
    const count = this.optInt(f, 'count', path, 1n, INT32_MAX);
    if (count !== undefined) out.count = count;
    const gpus = this.ints(f, 'gpus', path, 0n, INT32_MAX);
    if (gpus !== undefined) out.gpus = gpus;
    return out;
  }

  queuePolicy(msg: PbMessage, path: string): PartialQueuePolicy {
    const f = this.fields(msg, path, ['timeout_action', 'default_timeout_microseconds', 'allow_timeout_override', 'max_queue_size']);
    const out: PartialQueuePolicy = {};
    const action = this.one(f, 'timeout_action', path);
    if (action !== undefined) out.timeoutAction = this.enumOf<TimeoutAction>(action, join(path, 'timeout_action'), ['REJECT', 'DELAY']);
    const timeout = this.optInt(f, 'default_timeout_microseconds', path, 0n, SAFE_MAX);
    if (timeout !== undefined) out.defaultTimeoutMicroseconds = timeout;
    const override = this.optBool(f, 'allow_timeout_override', path);
    if (override !== undefined) out.allowTimeoutOverride = override;
    const size = this.optInt(f, 'max_queue_size', path, 0n, UINT32_MAX);
    if (size !== undefined) out.maxQueueSize = size;
    return out;
  }

  dynamicBatching(msg: PbMessage, path: string): PartialDynamicBatching {
    const f = this.fields(msg, path, [
      'preferred_batch_size', 'max_queue_delay_microseconds', 'preserve_ordering', 'priority_levels',
      'default_priority_level', 'default_queue_policy', 'priority_queue_policy',
    ]);
    const out: PartialDynamicBatching = {};
    const preferred = this.ints(f, 'preferred_batch_size', path, 1n, INT32_MAX);
    if (preferred !== undefined) out.preferredBatchSize = preferred;
    const delay = this.optInt(f, 'max_queue_delay_microseconds', path, 0n, SAFE_MAX);
    if (delay !== undefined) out.maxQueueDelayMicroseconds = delay;
    const ordering = this.optBool(f, 'preserve_ordering', path);
    if (ordering !== undefined) out.preserveOrdering = ordering;
    const levels = this.optInt(f, 'priority_levels', path, 0n, SAFE_MAX);
    if (levels !== undefined) out.priorityLevels = levels;
    const level = this.optInt(f, 'default_priority_level', path, 0n, SAFE_MAX);
    if (level !== undefined) out.defaultPriorityLevel = level;
    const dq = this.optMessage(f, 'default_queue_policy', path);
    if (dq !== undefined) out.defaultQueuePolicy = this.queuePolicy(dq, join(path, 'default_queue_policy'));
    const entries = f.values.get('priority_queue_policy');
    if (entries !== undefined) {
      out.priorityQueuePolicy = new Map();
      entries.forEach((e, i) => {
        const p = `${join(path, 'priority_queue_policy')}[${i}]`;
        const { key, value } = this.mapEntry(e, p);
        const policy = value === undefined ? {} : this.queuePolicy(this.message(value, `${p}.value`), `${p}.value`);
        out.priorityQueuePolicy!.set(this.int(key, `${p}.key`, 0n, SAFE_MAX), policy);
      });
    }
    return out;
  }

  /** A proto map entry `{ key: … value: … }`; the key is required. */
  mapEntry(v: PbValue, path: string): { key: PbValue; value: PbValue | undefined } {
    const f = this.fields(this.message(v, path), path, ['key', 'value']);
    const key = this.one(f, 'key', path);
    if (key === undefined) this.fail(v, join(path, 'key'), 'map entry without a key');
    return { key, value: this.one(f, 'value', path) };
  }

  parameters(values: PbValue[], path: string): Record<string, string> {
    const map = new Map<string, string>();
    values.forEach((e, i) => {
      const p = `${path}[${i}]`;
      const { key, value } = this.mapEntry(e, p);
      let s = '';
      if (value !== undefined) {
        const vp = `${p}.value`;
        const vf = this.fields(this.message(value, vp), vp, ['string_value']);
        s = this.optString(vf, 'string_value', vp) ?? '';
      }
      map.set(this.string(key, `${p}.key`), s);
    });
    return Object.fromEntries(map);
  }

  model(msg: PbMessage): PartialModelConfig {
    const f = this.fields(
      msg,
      '',
      [
        'name', 'platform', 'backend', 'max_batch_size', 'input', 'output', 'version_policy', 'instance_group',
        'dynamic_batching', 'parameters', 'default_model_filename', 'model_transaction_policy', 'response_cache',
      ],
      UNSUPPORTED_TOP,
    );
    const out: PartialModelConfig = {};
    const name = this.optString(f, 'name', '');
    if (name !== undefined) out.name = name;
    const platform = this.optString(f, 'platform', '');
    if (platform !== undefined) out.platform = platform;
    const backend = this.optString(f, 'backend', '');
    if (backend !== undefined) out.backend = backend;
    const mbs = this.optInt(f, 'max_batch_size', '', 0n, INT32_MAX);
    if (mbs !== undefined) out.maxBatchSize = mbs;
    const input = f.values.get('input');
    if (input !== undefined) out.input = input.map((v, i) => this.tensor(v, `input[${i}]`, true));
    const output = f.values.get('output');
    if (output !== undefined) out.output = output.map((v, i) => this.tensor(v, `output[${i}]`, false));
    const vp = this.one(f, 'version_policy', '');
    if (vp !== undefined) out.versionPolicy = this.versionPolicy(vp, 'version_policy');
    const groups = f.values.get('instance_group');
    if (groups !== undefined) out.instanceGroup = groups.map((v, i) => this.instanceGroup(v, `instance_group[${i}]`));
    const db = this.optMessage(f, 'dynamic_batching', '');
    if (db !== undefined) out.dynamicBatching = this.dynamicBatching(db, 'dynamic_batching');
    const params = f.values.get('parameters');
    if (params !== undefined) out.parameters = this.parameters(params, 'parameters');
    const filename = this.optString(f, 'default_model_filename', '');
    if (filename !== undefined) out.defaultModelFilename = filename;
    const tp = this.optMessage(f, 'model_transaction_policy', '');
    if (tp !== undefined) {
      const tf = this.fields(tp, 'model_transaction_policy', ['decoupled']);
      const decoupled = this.optBool(tf, 'decoupled', 'model_transaction_policy');
      if (decoupled !== undefined) out.decoupled = decoupled;
    }
    const rc = this.optMessage(f, 'response_cache', '');
    if (rc !== undefined) {
      const rf = this.fields(rc, 'response_cache', ['enable']);
      const enable = this.optBool(rf, 'enable', 'response_cache');
      if (enable !== undefined) out.responseCache = enable;
    }
    return out;
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function describe(v: PbValue): string {
  switch (v.kind) {
    case 'string':
      return `string ${JSON.stringify(v.value)}`;
    case 'number':
      return `number ${v.text}`;
    case 'identifier':
      return `'${v.value}'`;
    case 'message':
      return 'a message';
  }
}

/**
 * Parses a config.pbtxt into the fields it gives. `source` names the file in messages (errors and
 * warnings read `SOURCE:LINE:COL: …`); `warn` receives one message per unknown or unsupported field.
 */
export function parsePartialModelConfig(
  text: string,
  source: string,
  warn: (message: string) => void,
): PartialModelConfig {
  return new Mapper(source, warn).model(parsePbtxt(text, source));
}
