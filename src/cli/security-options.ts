// The `inferd serve` flags for TLS, authentication, rate limits and input limits (each with an INFERD_*
// environment fallback), and their mapping into ServerSettings.security / ServerSettings.inputLimits.

import { Option, type Command } from 'commander';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../dataplane/input-limits';
import type { SecuritySettings } from '../security/security-settings';

const count = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

const positive = (name: string) => (v: string): number => {
  const n = count(name)(v);
  if (n === 0) throw new Error(`${name} must be at least 1`);
  return n;
};

export function addSecurityOptions(cmd: Command): Command {
  const L = DEFAULT_INPUT_LIMITS;
  return cmd
    .addOption(new Option('--tls-cert <file>', 'PEM server certificate (chain); with --tls-key turns TLS on').env('INFERD_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('INFERD_TLS_KEY'))
    .addOption(new Option('--tls-client-ca <file>', 'PEM CA bundle for client certificates (mTLS)').env('INFERD_TLS_CLIENT_CA'))
    .addOption(new Option('--tls-client-cert <mode>', 'with --tls-client-ca: refuse clients without a valid certificate, or let them in').choices(['required', 'optional']).env('INFERD_TLS_CLIENT_CERT').default('required'))
    .addOption(new Option('--tls-reload-interval-ms <ms>', 'how often the TLS files are re-read for rotation (0: never)').argParser(count('--tls-reload-interval-ms')).env('INFERD_TLS_RELOAD_INTERVAL_MS').default(30_000))
    .addOption(new Option('--auth <mode>', 'auto: on when principals are configured; on: refuse to start without them; off').choices(['auto', 'on', 'off']).env('INFERD_AUTH').default('auto'))
    .addOption(new Option('--auth-principals-file <file>', 'JSON file of principals: tokens (stored hashed), client-cert subjects, scopes').env('INFERD_AUTH_PRINCIPALS_FILE'))
    .addOption(new Option('--auth-probes <mode>', 'open: health checks, ServerLive and ServerReady need no credentials').choices(['open', 'authenticated']).env('INFERD_AUTH_PROBES').default('open'))
    .addOption(new Option('--rate-limit-rps <n>', 'requests per second per principal (0: unlimited)').argParser(count('--rate-limit-rps')).env('INFERD_RATE_LIMIT_RPS').default(0))
    .addOption(new Option('--rate-limit-burst <n>', 'request burst per principal (0: one second of --rate-limit-rps)').argParser(count('--rate-limit-burst')).env('INFERD_RATE_LIMIT_BURST').default(0))
    .addOption(new Option('--rate-limit-input-bytes <n>', 'input tensor bytes per second per principal (0: unlimited)').argParser(count('--rate-limit-input-bytes')).env('INFERD_RATE_LIMIT_INPUT_BYTES').default(0))
    .addOption(new Option('--rate-limit-input-burst <n>', 'input byte burst per principal (0: one second of --rate-limit-input-bytes)').argParser(count('--rate-limit-input-burst')).env('INFERD_RATE_LIMIT_INPUT_BURST').default(0))
    .addOption(new Option('--max-input-tensors <n>', 'input tensors per request').argParser(positive('--max-input-tensors')).default(L.maxInputTensors))
    .addOption(new Option('--max-input-rank <n>', 'dims per input tensor').argParser(positive('--max-input-rank')).default(L.maxRank))
    .addOption(new Option('--max-tensor-elements <n>', 'elements per input tensor').argParser(positive('--max-tensor-elements')).default(L.maxTensorElements))
    .addOption(new Option('--max-input-bytes <n>', 'bytes of all input tensors of a request').argParser(positive('--max-input-bytes')).default(L.maxInputBytes))
    .addOption(new Option('--max-bytes-element <n>', 'bytes of one BYTES (string) element').argParser(positive('--max-bytes-element')).default(L.maxBytesElement));
}

export function securitySettingsFrom(opts: Record<string, unknown>): SecuritySettings {
  const cert = (opts.tlsCert as string | undefined) ?? '';
  const key = (opts.tlsKey as string | undefined) ?? '';
  const clientCa = (opts.tlsClientCa as string | undefined) ?? '';
  if ((cert === '') !== (key === '')) throw new Error('--tls-cert and --tls-key go together');
  if (clientCa && !cert) throw new Error('--tls-client-ca needs --tls-cert and --tls-key');
  return {
    tls: cert
      ? {
          certFile: cert,
          keyFile: key,
          clientCaFile: clientCa,
          clientCert: opts.tlsClientCert as 'required' | 'optional',
          reloadIntervalMs: opts.tlsReloadIntervalMs as number,
        }
      : null,
    auth: opts.auth as SecuritySettings['auth'],
    principalsFile: (opts.authPrincipalsFile as string | undefined) ?? '',
    principalsJson: process.env.INFERD_AUTH_PRINCIPALS ?? '',
    openProbes: opts.authProbes === 'open',
    rateLimits: {
      requestsPerSecond: opts.rateLimitRps as number,
      requestBurst: opts.rateLimitBurst as number,
      inputBytesPerSecond: opts.rateLimitInputBytes as number,
      inputBytesBurst: opts.rateLimitInputBurst as number,
    },
  };
}

export function inputLimitsFrom(opts: Record<string, unknown>): InputLimits {
  return {
    maxInputTensors: opts.maxInputTensors as number,
    maxRank: opts.maxInputRank as number,
    maxTensorElements: opts.maxTensorElements as number,
    maxInputBytes: opts.maxInputBytes as number,
    maxBytesElement: opts.maxBytesElement as number,
  };
}
