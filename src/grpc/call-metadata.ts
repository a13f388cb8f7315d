// What the gRPC handlers read from a call's metadata (single headers: trace context, a traffic split's sticky key)
// and the name of the service they are read for.

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
