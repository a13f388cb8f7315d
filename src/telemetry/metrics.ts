// The Prometheus registry of one server (prom-client). Triton's per-model counters are read from each version's
// ModelStats at scrape time (the same numbers ModelStatistics returns); latency and batch-size histograms, gRPC
// server metrics, drift gauges, CPU/memory gauges (Triton names) and Node process metrics complete it. What is
// updated per request (the histograms and gRPC counters) are series-metrics.ts series, resolved once per model
// version or method.

import * as os from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ModelStats } from './model-stats';
import { SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from './series-metrics';
import { TwoKeyMap } from './two-key-map';

/** One model version as the metrics see it. */
export interface ServedModelView {
  name: string;
  version: number;
  stats: ModelStats;
  /** Requests queued or running. */
  pending: number;
}

/** One drift gauge value. */
export interface DriftReading {
  model: string;
  version: number;
  input: string;
  psi: number;
  /** Largest |mean shift| of one feature, in baseline standard deviations. */
  maxFeatureShift: number;
}

export interface MetricsOptions {
  latencyBucketsSeconds: number[];
  models: () => ServedModelView[];
  drift: () => DriftReading[];
}

const MODEL_LABELS = ['model', 'version'];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Histogram series of one model version, resolved once. */
export interface ModelHistograms {
  request: HistogramSeries;
  queue: HistogramSeries;
  compute: HistogramSeries;
  batchSize: HistogramSeries;
}

interface RpcCounters {
  labels: { grpc_service: string; grpc_method: string; grpc_type: string };
  started: CounterSeries;
  handling: HistogramSeries;
  /** grpc_server_handled_total by status code name. */
  handled: Map<string, CounterSeries>;
}

export class InferdMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: SeriesHistogram;
  private readonly queueDuration: SeriesHistogram;
  private readonly computeDuration: SeriesHistogram;
  private readonly batchSize: SeriesHistogram;
  private readonly grpcStarted: SeriesCounter;
  private readonly grpcHandled: SeriesCounter;
  private readonly grpcHandling: SeriesHistogram;
  private readonly loadSeconds = new Map<string, { model: string; version: string; seconds: number }>();
  /** Series by model name and version. */
  private readonly perModel = new TwoKeyMap<string, number, ModelHistograms>();
  /** Series by service, then method (a method has one RPC type). */
  private readonly perRpc = new TwoKeyMap<string, string, RpcCounters>();

  constructor(private readonly options: MetricsOptions) {
    const registry = this.registry;
    const buckets = options.latencyBucketsSeconds;
    this.requestDuration = new SeriesHistogram({ name: 'inferd_inference_request_duration_seconds', help: 'Inference request duration in the server, from accepted to answered', buckets, registry });
    this.queueDuration = new SeriesHistogram({ name: 'inferd_inference_queue_duration_seconds', help: 'Time requests waited in the scheduler queue', buckets, registry });
    this.computeDuration = new SeriesHistogram({ name: 'inferd_inference_compute_duration_seconds', help: 'Time of the execution that carried a request (input, infer and output)', buckets, registry });
    this.batchSize = new SeriesHistogram({ name: 'inferd_inference_batch_size', help: 'Rows per model execution', buckets: BATCH_BUCKETS, registry });
    this.grpcStarted = new SeriesCounter({ name: 'grpc_server_started_total', help: 'RPCs started on the server', registry });
    this.grpcHandled = new SeriesCounter({ name: 'grpc_server_handled_total', help: 'RPCs completed on the server, by status code', registry });
    this.grpcHandling = new SeriesHistogram({ name: 'grpc_server_handling_seconds', help: 'RPC handling time on the server', buckets, registry });
    this.registerModelCounters();
    this.registerModelGauges();
    this.registerHostGauges();
    this.registerDriftGauges();
    collectDefaultMetrics({ register: this.registry });
  }

  /** Histograms of one model version. */
  model(name: string, version: number): ModelHistograms {
    return this.perModel.get(name, version) ?? this.resolveModel(name, version);
  }

  private resolveModel(name: string, version: number): ModelHistograms {
    const labels = { model: name, version: String(version) };
    const h = {
      request: this.requestDuration.labels(labels),
      queue: this.queueDuration.labels(labels),
      compute: this.computeDuration.labels(labels),
      batchSize: this.batchSize.labels(labels),
    };
    this.perModel.set(name, version, h);
    return h;
  }

  rpcStarted(service: string, method: string, type: string): void {
    this.rpc(service, method, type).started.inc();
  }

  rpcHandled(service: string, method: string, type: string, code: string, seconds: number): void {
    const rpc = this.rpc(service, method, type);
    let handled = rpc.handled.get(code);
    if (!handled) {
      handled = this.grpcHandled.labels({ ...rpc.labels, grpc_code: code });
      rpc.handled.set(code, handled);
    }
    handled.inc();
    rpc.handling.observe(seconds);
  }

  /** The gRPC metrics of one method. */
  private rpc(service: string, method: string, type: string): RpcCounters {
    return this.perRpc.get(service, method) ?? this.resolveRpc(service, method, type);
  }

  private resolveRpc(service: string, method: string, type: string): RpcCounters {
    const labels = { grpc_service: service, grpc_method: method, grpc_type: type };
    const rpc = { labels, started: this.grpcStarted.labels(labels), handling: this.grpcHandling.labels(labels), handled: new Map() };
    this.perRpc.set(service, method, rpc);
    return rpc;
  }

  modelLoaded(name: string, version: number, seconds: number): void {
    this.loadSeconds.set(`${name}\u0000${version}`, { model: name, version: String(version), seconds });
  }

  modelUnloaded(name: string, version: number): void {
    this.loadSeconds.delete(`${name}\u0000${version}`);
  }

  /** Triton's per-model counters, read from ModelStats at scrape time (never counted twice). */
  private registerModelCounters(): void {
    const models = this.options.models;
    const counter = (name: string, help: string, value: (s: ModelStats) => number): void => {
      new Counter({
        name,
        help,
        labelNames: MODEL_LABELS,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const m of models()) this.inc({ model: m.name, version: String(m.version) }, value(m.stats));
        },
      });
    };
    counter('nv_inference_request_success', 'Number of successful inference requests, all batch sizes', (s) => s.success.count);
    counter('nv_inference_count', 'Number of inferences performed (a batch of n counts n)', (s) => s.inferenceCount);
    counter('nv_inference_exec_count', 'Number of model executions performed', (s) => s.executionCount);
    const us = (ns: number): number => Math.round(ns / 1000);
    counter('nv_inference_request_duration_us', 'Cumulative inference request duration in microseconds', (s) => us(s.success.ns + s.fail.ns));
    counter('nv_inference_queue_duration_us', 'Cumulative inference queuing duration in microseconds', (s) => us(s.queue.ns));
    counter('nv_inference_compute_input_duration_us', 'Cumulative compute input duration in microseconds', (s) => us(s.computeInput.ns));
    counter('nv_inference_compute_infer_duration_us', 'Cumulative compute inference duration in microseconds', (s) => us(s.computeInfer.ns));
    counter('nv_inference_compute_output_duration_us', 'Cumulative compute output duration in microseconds', (s) => us(s.computeOutput.ns));
    new Counter({
      name: 'nv_inference_request_failure',
      help: 'Number of failed inference requests, all batch sizes',
      labelNames: ['model', 'version', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const m of models()) {
          for (const [reason, n] of m.stats.failuresByReason) this.inc({ model: m.name, version: String(m.version), reason }, n);
        }
      },
    });
  }

  private registerModelGauges(): void {
    const { models } = this.options;
    new Gauge({
      name: 'nv_inference_pending_request_count',
      help: 'Instantaneous number of pending requests awaiting execution per-model',
      labelNames: MODEL_LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const m of models()) this.set({ model: m.name, version: String(m.version) }, m.pending);
      },
    });
    const loadSeconds = this.loadSeconds;
    new Gauge({
      name: 'nv_model_load_duration_secs',
      help: 'Model load time in seconds',
      labelNames: MODEL_LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const l of loadSeconds.values()) this.set({ model: l.model, version: l.version }, l.seconds);
      },
    });
  }

  private registerHostGauges(): void {
    let previous = cpuTimes();
    new Gauge({
      name: 'nv_cpu_utilization',
      help: 'CPU utilization rate [0.0 - 1.0] since the previous scrape',
      registers: [this.registry],
      collect() {
        const now = cpuTimes();
        const total = now.total - previous.total;
        this.set(total > 0 ? Math.min(1, Math.max(0, 1 - (now.idle - previous.idle) / total)) : 0);
        previous = now;
      },
    });
    new Gauge({
      name: 'nv_cpu_memory_total_bytes',
      help: 'CPU total memory (RAM), in bytes',
      registers: [this.registry],
      collect() {
        this.set(os.totalmem());
      },
    });
    new Gauge({
      name: 'nv_cpu_memory_used_bytes',
      help: 'CPU used memory (RAM), in bytes',
      registers: [this.registry],
      collect() {
        this.set(os.totalmem() - os.freemem());
      },
    });
  }

  private registerDriftGauges(): void {
    const { drift } = this.options;
    const labelNames = ['model', 'version', 'input'] as const;
    new Gauge({
      name: 'inferd_input_drift_psi',
      help: 'Population stability index of an input against its baseline, over the last complete drift window',
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of drift()) this.set({ model: d.model, version: String(d.version), input: d.input }, d.psi);
      },
    });
    new Gauge({
      name: 'inferd_input_drift_max_feature_shift',
      help: 'Largest shift of one feature mean from its baseline mean, in baseline standard deviations (last window)',
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of drift()) this.set({ model: d.model, version: String(d.version), input: d.input }, d.maxFeatureShift);
      },
    });
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}
