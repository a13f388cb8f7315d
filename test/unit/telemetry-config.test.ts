// Telemetry configuration pieces: OTEL_TRACES_SAMPLER names to samplers, OTEL_RESOURCE_ATTRIBUTES parsing, the
// pretty log format, and span times from process.hrtime.

import { Writable } from 'node:stream';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/telemetry/logger';
import { createSampler, parseResourceAttributes, spanTime } from '../../src/telemetry/tracing';

const decide = (name: string, arg: string, parentSampled?: boolean): SamplingDecision => {
  const ctx =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: parentSampled ? 1 : 0, isRemote: true });
  return createSampler(name, arg).shouldSample(ctx, 'f'.repeat(32), 'x', SpanKind.SERVER, {}, []).decision;
};

test('OTEL_TRACES_SAMPLER names give the standard samplers', () => {
  expect(decide('always_on', '')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(decide('always_off', '')).toBe(SamplingDecision.NOT_RECORD);
  expect(decide('traceidratio', '0')).toBe(SamplingDecision.NOT_RECORD);
  expect(decide('traceidratio', '1')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(decide('parentbased_always_off', '')).toBe(SamplingDecision.NOT_RECORD);
  expect(decide('parentbased_always_off', '', true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(decide('parentbased_always_on', '', false)).toBe(SamplingDecision.NOT_RECORD);
  expect(decide('parentbased_traceidratio', '0', true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(() => createSampler('sometimes', '')).toThrow("unknown trace sampler 'sometimes'");
  expect(() => createSampler('traceidratio', '2')).toThrow("trace sampler argument must be a ratio in [0, 1], got '2'");
});

test('OTEL_RESOURCE_ATTRIBUTES: comma-separated, percent-decoded key=value pairs', () => {
  expect(parseResourceAttributes('')).toEqual({});
  expect(parseResourceAttributes('a=1, team=ml%20infra,url=http://x/y?z=1')).toEqual({ a: '1', team: 'ml infra', url: 'http://x/y?z=1' });
  expect(() => parseResourceAttributes('novalue')).toThrow("resource attribute 'novalue' is not key=value");
});

test('span times keep the nanosecond differences of process.hrtime and sit on the wall clock', () => {
  const hr = Number(process.hrtime.bigint());
  const [s, ns] = spanTime(hr);
  expect(Math.abs(s * 1000 + ns / 1e6 - Date.now())).toBeLessThan(60_000);
  const [s2, ns2] = spanTime(hr + 1500);
  expect((s2 - s) * 1e9 + (ns2 - ns)).toBe(1500);
});

test('--log-format pretty writes human-readable lines', () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      out += chunk.toString();
      done();
    },
  });
  createLogger({ level: 'info', format: 'pretty', destination: sink }).info({ model: 'simple' }, 'model state');
  expect(out).toMatch(/INFO.*model state/);
  expect(out).toContain('model: "simple"');
  expect(() => JSON.parse(out)).toThrow();
});
