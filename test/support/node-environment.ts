// Jest test environment that shares the host realm's typed-array and Buffer constructors with the test realm.
// onnxruntime-node checks `data instanceof Float32Array` (and friends) against the host realm's constructors, which
// fails for arrays made inside jest's vm context (onnxruntime#16622). Sharing them makes both realms agree.

import NodeEnvironment from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array',
  'Int16Array', 'Uint32Array', 'Int32Array', 'BigUint64Array', 'BigInt64Array', 'Float32Array', 'Float64Array',
  'Buffer',
] as const;

export default class SharedTypedArrayEnvironment extends NodeEnvironment {
  async setup(): Promise<void> {
    await super.setup();
    const host = globalThis as unknown as Record<string, unknown>;
    const realm = this.global as unknown as Record<string, unknown>;
    for (const name of SHARED) realm[name] = host[name];
  }
}
module.exports = SharedTypedArrayEnvironment;
