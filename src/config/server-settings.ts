// Server settings and their defaults. The CLI fills them from flags (with INFERD_* environment fallbacks);
// tests build them directly.

import type { ControlMode } from '../repository/model-repository';

export interface ServerSettings {
  modelRepository: string;
  /** Host to bind the gRPC port on; 0.0.0.0 serves every interface. */
  grpcHost: string;
  /** 0 picks a free port (tests). */
  grpcPort: number;
  modelControlMode: ControlMode;
  /** Models to load at start in explicit mode. */
  loadModels: string[];
  /** Largest gRPC message accepted or sent, in bytes. */
  maxMessageBytes: number;
  /** max_batch_size for auto-completed models that can batch (Triton's --backend-config default-max-batch-size). */
  defaultMaxBatchSize: number;
  /** onnxruntime intra-op threads per instance; 0 shares the cores among a model's instances. */
  intraOpThreads: number;
  /** Server-wide limit on the input bytes of accepted, unfinished requests (RESOURCE_EXHAUSTED past it); 0: none. */
  maxInflightBytes: number;
  logLevel: string;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  modelRepository: 'models',
  grpcHost: '0.0.0.0',
  grpcPort: 8001,
  modelControlMode: 'none',
  loadModels: [],
  maxMessageBytes: 256 * 1024 * 1024,
  defaultMaxBatchSize: 4,
  intraOpThreads: 0,
  maxInflightBytes: 1024 * 1024 * 1024,
  logLevel: 'info',
};
