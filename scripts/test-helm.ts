// `npm run test:helm`: where `helm` is on PATH, runs `helm lint --strict` and `helm template` on helm/inferd for
// several value sets and validates every rendered object against the Kubernetes schemas (kubernetes-models), with
// the checks that need a rendered chart (flags, drain timing, GPU limits, probes). Without helm it says so and
// exits 0: the chart's data tests (test/deploy/) run in `npm test` either way.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';

const CHART = path.resolve(__dirname, '../../helm/inferd');

const VALUE_SETS: Record<string, object> = {
  defaults: {},
  'autoscaling, monitoring, headless': {
    autoscaling: { enabled: true },
    serviceMonitor: { enabled: true },
    grafanaDashboard: { enabled: true },
    headlessService: { enabled: true },
  },
  'GPU from a PVC, poll mode': {
    gpu: { count: 1 },
    modelRepository: { source: 'pvc', pvc: { claimName: 'models' } },
    server: { modelControlMode: 'poll' },
  },
  'object storage and auth': {
    modelRepository: { source: 'objectStorage', objectStorage: { credentialsSecret: 's3-credentials' } },
    auth: { enabled: true, principalsJson: '{"principals":[]}' },
  },
};

const VALIDATORS: Record<string, (o: any) => { validate(): void }> = {
  ConfigMap: (o) => new ConfigMap(o),
  Secret: (o) => new Secret(o),
  Service: (o) => new Service(o),
  Deployment: (o) => new Deployment(o),
  HorizontalPodAutoscaler: (o) => new HorizontalPodAutoscaler(o),
  PodDisruptionBudget: (o) => new PodDisruptionBudget(o),
};

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function main(): void {
  if (spawnSync('helm', ['version', '--short'], { encoding: 'utf8' }).status !== 0) {
    console.log('test:helm skipped: `helm` is not on PATH (helm lint / helm template not run; the chart data tests in test/deploy/ still run with npm test)');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inferd-helm-'));
  let failures = 0;
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, JSON.stringify(values));
    try {
      execFileSync('helm', ['lint', '--strict', CHART, '-f', file], { stdio: 'pipe' });
      const rendered = execFileSync('helm', ['template', 'demo', CHART, '-f', file], { encoding: 'utf8' });
      const objects = parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
      for (const o of objects) {
        const validator = VALIDATORS[o.kind];
        if (validator) validator(o).validate();
        else check(['ServiceMonitor'].includes(o.kind), `unexpected kind ${o.kind}`);
      }
      const deployment = objects.find((o) => o.kind === 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      const drain = { preStopSleepSeconds: 5, graceSeconds: 5, exitTimeoutSeconds: 30, marginSeconds: 5 };
      check(pod.terminationGracePeriodSeconds === Object.values(drain).reduce((a, b) => a + b), 'terminationGracePeriodSeconds');
      check(container.args[0] === 'serve' && container.args.includes('--exit-timeout-secs=30'), 'serve args');
      check(container.readinessProbe.grpc.service === 'inference.GRPCInferenceService', 'readiness probe service');
      check(container.securityContext.readOnlyRootFilesystem === true, 'read-only root');
      const gpus = (values as { gpu?: { count: number } }).gpu?.count ?? 0;
      check((container.resources.limits?.['nvidia.com/gpu'] ?? 0) === gpus, 'nvidia.com/gpu limit');
      console.log(`ok  ${name}: ${objects.map((o) => o.kind).join(', ')}`);
    } catch (err) {
      failures++;
      const e = err as Error & { stderr?: Buffer };
      console.log(`FAIL ${name}: ${e.stderr?.toString() || e.message}`);
    }
  }
  const total = Object.keys(VALUE_SETS).length;
  console.log(`${total - failures} passed, ${failures} failed`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main();
