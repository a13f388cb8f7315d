// Device placement: turns a SessionSpec's device into onnxruntime execution providers, and the provider's failure
// into a reason a user can act on. A CUDA instance never falls back to CPU silently; only when the model config
// allows it (parameter allow_cpu_fallback) does a failed CUDA session retry on CPU.

import type { SessionSpec } from './messages';

export type ProviderList = Array<'cpu' | { name: 'cuda'; deviceId: number }>;

export interface Placement {
  providers: ProviderList;
  /** What the instance runs on, for the model state and logs: 'cpu' or 'cuda:N'. */
  provider: string;
}

export function primaryPlacement(spec: SessionSpec): Placement {
  if (spec.device.kind === 'cpu') return { providers: ['cpu'], provider: 'cpu' };
  const { deviceId } = spec.device;
  return { providers: [{ name: 'cuda', deviceId }], provider: `cuda:${deviceId}` };
}

/** The placement to retry with after the primary one failed, or null when the failure is final. */
export function fallbackPlacement(spec: SessionSpec): Placement | null {
  if (spec.device.kind === 'cpu' || !spec.allowCpuFallback) return null;
  return { providers: ['cpu'], provider: 'cpu (fallback: CUDA unavailable)' };
}

export function placementError(spec: SessionSpec, cause: string): string {
  if (spec.device.kind === 'cpu') return `${spec.label}: onnxruntime could not load the model: ${cause}`;
  return (
    `${spec.label}: KIND_GPU needs the CUDA execution provider on device ${spec.device.deviceId}, which failed: ` +
    `${cause}. Install onnxruntime-node's CUDA binaries on a GPU host, or allow CPU with ` +
    'parameters { key: "allow_cpu_fallback" value: { string_value: "true" } } in config.pbtxt'
  );
}
