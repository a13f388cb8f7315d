// (d) The plain manifests: KServe ServingRuntime / ClusterServingRuntime and the example InferenceService validate
// against minimal schemas of the KServe CRD fields they use (test/deploy/schemas) with their containers, volumes
// and resources validated by kubernetes-models; the prometheus-adapter rule validates against the adapter's rule
// format. Their contract with inferd is checked against the real CLI and, for the runtime's arguments, by running
// `inferd serve` with them and asking whether a model is ready.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { Container } from 'kubernetes-models/v1/Container';
import { Volume } from 'kubernetes-models/v1/Volume';
import { ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import { startServerProcess } from '../../bench/server-process';
import { MODELS_DIR, REPO_ROOT, call, tempRepository, tsProtoClient } from '../support/server';
import { excusedBy, sourceFacts, unknownFlags } from './server-contract';

const read = (p: string): any => parseYaml(readFileSync(path.join(REPO_ROOT, p), 'utf8'));
const schema = (name: string): object => JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/deploy/schemas', name), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true });
const validateRuntime = ajv.compile(schema('kserve-servingruntime.schema.json'));
const validateIsvc = ajv.compile(schema('kserve-inferenceservice.schema.json'));
const validateAdapter = ajv.compile(schema('prometheus-adapter-values.schema.json'));

const runtime = read('deploy/kserve/servingruntime.yaml');
const clusterRuntime = read('deploy/kserve/clusterservingruntime.yaml');
const isvc = read('deploy/kserve/inferenceservice.yaml');
const adapter = read('deploy/prometheus-adapter/values.yaml');

/** `--flag=value` arguments of the runtime's container, as a map. */
const flagValues = (args: string[]): Map<string, string> =>
  new Map(args.filter((a) => a.startsWith('--')).map((a) => a.split('=') as [string, string]));

describe('KServe ServingRuntime and ClusterServingRuntime', () => {
  test.each([
    ['ServingRuntime', runtime],
    ['ClusterServingRuntime', clusterRuntime],
  ])('%s validates against the CRD fields and the Kubernetes container and volume schemas', (kind, manifest) => {
    expect(validateRuntime(manifest) ? [] : validateRuntime.errors).toEqual([]);
    expect(manifest.kind).toBe(kind);
    for (const c of manifest.spec.containers) new Container(c).validate();
    for (const v of manifest.spec.volumes) new Volume(v).validate();
  });

  test('the schema is not a pushover: wrong protocol, missing formats and a non-integer priority are refused', () => {
    const bad = (mutate: (m: any) => void): boolean => {
      const m = structuredClone(runtime);
      mutate(m);
      return validateRuntime(m);
    };
    expect(bad((m) => (m.spec.protocolVersions = ['grpc-v3']))).toBe(false);
    expect(bad((m) => delete m.spec.supportedModelFormats)).toBe(false);
    expect(bad((m) => (m.spec.supportedModelFormats[0].priority = 'high'))).toBe(false);
    expect(bad((m) => (m.apiVersion = 'serving.kserve.io/v1beta1'))).toBe(false);
  });

  test('the cluster variant is the namespaced one with another kind', () => {
    expect({ ...clusterRuntime, kind: 'ServingRuntime' }).toEqual(runtime);
  });

  test('KServe contract: kserve-container, /mnt/models, onnx "1" at priority 2, grpc-v2 and v2, one port named h2c', () => {
    expect(runtime.spec.supportedModelFormats).toEqual([{ name: 'onnx', version: '1', autoSelect: true, priority: 2 }]);
    expect(runtime.spec.protocolVersions).toEqual(['grpc-v2', 'v2']);
    const [container] = runtime.spec.containers;
    expect(runtime.spec.containers).toHaveLength(1);
    expect(container.name).toBe('kserve-container');
    const flags = flagValues(container.args);
    expect(container.args[0]).toBe('serve');
    expect(flags.get('--model-repository')).toBe('/mnt/models');
    expect(container.ports).toEqual([{ name: 'h2c', containerPort: Number(flags.get('--grpc-port')), protocol: 'TCP' }]);
    expect(runtime.spec.annotations).toEqual({
      'prometheus.kserve.io/port': flags.get('--metrics-port'),
      'prometheus.kserve.io/path': '/metrics',
    });
    expect(container.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  test('its flags are `inferd serve` flags, and its ports are the server defaults', async () => {
    const facts = await sourceFacts();
    const flags = flagValues(runtime.spec.containers[0].args);
    expect(unknownFlags(facts, [...flags.keys()])).toEqual([]);
    expect(Number(flags.get('--grpc-port'))).toBe(facts.flags.get('--grpc-port')!.default);
    if (facts.flags.has('--metrics-port')) expect(Number(flags.get('--metrics-port'))).toBe(facts.flags.get('--metrics-port')!.default);
    else expect(excusedBy(facts, 'flags', '--metrics-port')?.issue).toBe(5);
  });

  test('`inferd serve` started with the runtime\'s arguments serves the model repository KServe mounts', async () => {
    const facts = await sourceFacts();
    const repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple') });
    // The test picks its own ports (other suites run servers at the same time); flags of issues not merged yet
    // cannot be passed to this build.
    const args = (runtime.spec.containers[0].args as string[])
      .slice(1)
      .filter((a) => !a.startsWith('--grpc-port=') && !a.startsWith('--metrics-port=') && facts.flags.has(a.split('=')[0]))
      .map((a) => a.replace('=/mnt/models', `=${repo}`));
    expect(args).toContain(`--model-repository=${repo}`);
    const proc = await startServerProcess(args);
    const client = tsProtoClient(proc.address);
    try {
      expect(await call(client, 'modelReady', { name: 'simple', version: '' })).toEqual({ ready: true });
    } finally {
      client.close();
      await proc.stop();
    }
  });
});

describe('KServe InferenceService example', () => {
  test('validates, and names the inferd runtime with a format and protocol it supports', () => {
    expect(validateIsvc(isvc) ? [] : validateIsvc.errors).toEqual([]);
    const model = isvc.spec.predictor.model;
    new ResourceRequirements(model.resources).validate();
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(model.protocolVersion).toBe('grpc-v2');
    expect(runtime.spec.protocolVersions).toContain(model.protocolVersion);
    expect(runtime.spec.supportedModelFormats).toContainEqual(expect.objectContaining(model.modelFormat));
  });

  test('the schema refuses a predictor without a model format and an unknown protocol', () => {
    const noFormat = structuredClone(isvc);
    delete noFormat.spec.predictor.model.modelFormat;
    expect(validateIsvc(noFormat)).toBe(false);
    const badProtocol = structuredClone(isvc);
    badProtocol.spec.predictor.model.protocolVersion = 'grpc';
    expect(validateIsvc(badProtocol)).toBe(false);
  });
});

describe('prometheus-adapter rule', () => {
  test('validates against the adapter rule format, and its name pattern matches the series it queries', () => {
    expect(validateAdapter(adapter) ? [] : validateAdapter.errors).toEqual([]);
    for (const rule of adapter.rules.custom) {
      const series = /^([a-z_:]+)\{/.exec(rule.seriesQuery)![1];
      expect(new RegExp(rule.name.matches).test(series)).toBe(true);
      expect(rule.metricsQuery).toContain('<<.GroupBy>>');
      expect(Object.values(rule.resources.overrides).map((o: any) => o.resource).sort()).toEqual(['namespace', 'pod']);
    }
  });
});
