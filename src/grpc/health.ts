// grpc.health.v1.Health for probes and load balancers: '' and 'inference.GRPCInferenceService' follow server
// readiness; each model name is its own service, SERVING while any version of it is ready.

import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { ModelRepository } from '../repository/model-repository';
import { SERVICE_NAME } from './call-metadata';

export class HealthStatus {
  readonly implementation = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  private serving = false;

  constructor(private readonly repository: ModelRepository) {
    repository.on('state', (v: { name: string }) => this.updateModel(v.name));
  }

  /** The server as a whole: SERVING once started, NOT_SERVING from the start of a drain. */
  setServing(serving: boolean): void {
    this.serving = serving;
    const s: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    this.implementation.setStatus('', s);
    this.implementation.setStatus(SERVICE_NAME, s);
    for (const v of this.repository.loadedVersions()) this.updateModel(v.name);
  }

  private updateModel(name: string): void {
    const ready = this.serving && this.repository.loadedVersions(name).some((v) => v.ready);
    this.implementation.setStatus(name, ready ? 'SERVING' : 'NOT_SERVING');
  }
}
