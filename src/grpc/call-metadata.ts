// What the gRPC handlers read from a call's metadata: single headers (trace context) and the whole map (a traffic
// split's sticky key), and the name of the service they are read for.

import type { Metadata } from '@grpc/grpc-js';

/** The OIP service's full name: the gRPC path prefix, the health service name and the RPC span's rpc.service. */
export const SERVICE_NAME = 'inference.GRPCInferenceService';

/** Reads one header of the call's metadata (string values only). */
export function metadataReader(metadata: Metadata): (key: string) => string | undefined {
  return (key) => {
    const v = metadata.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  };
}

/** Call metadata as lower-case key → first string value (binary `-bin` entries are left out). */
export function metadataMap(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.getMap())) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}
