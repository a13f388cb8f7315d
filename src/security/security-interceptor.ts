// The grpc-js server interceptor that guards every RPC (inference, health, reflection alike): authentication
// (bearer token or verified client certificate → principal; UNAUTHENTICATED otherwise), authorization by scope
// (PERMISSION_DENIED naming the missing scope; per-model scopes are checked on each request message, so every
// message of a stream is checked too), and per-principal rate limits on requests and on input tensor bytes
// (RESOURCE_EXHAUSTED with `retry-after-ms` in the trailing metadata). The `authorization` entry is removed from
// the metadata before the call goes on, so nothing after this point can log the token.

import {
  Metadata,
  ServerInterceptingCall,
  status,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { Logger } from '../telemetry/logger';
import { formatSubject, type Principal, type PrincipalStore } from './principals';
import type { RateDecision, RateLimiter } from './rate-limiter';
import { methodName, methodRule, missingScope } from './scopes';

export interface SecurityInterceptorOptions {
  /** Who may call; null turns authentication and authorization off (rate limits then key on the peer address). */
  principals: PrincipalStore | null;
  /** Probes (grpc.health.v1, ServerLive, ServerReady) need no credentials. */
  openProbes: boolean;
  rateLimiter: RateLimiter;
  /** Request messages the transport could not decode: passed on unchecked, for the service to answer. */
  undecodable: (message: unknown) => boolean;
  log: Logger;
}

/** Trailing metadata key of the retry hint on RESOURCE_EXHAUSTED, in milliseconds. */
export const RETRY_AFTER_MS = 'retry-after-ms';

const INFER_METHODS = new Set(['ModelInfer', 'ModelStreamInfer']);

/** Bytes per value of each typed contents field of an InferTensorContents. */
const CONTENTS_BYTES: Record<string, number> = {
  boolContents: 1,
  intContents: 4,
  int64Contents: 8,
  uintContents: 4,
  uint64Contents: 8,
  fp32Contents: 4,
  fp64Contents: 8,
};

interface InferMessageShape {
  rawInputContents?: Uint8Array[];
  inputs?: { contents?: Record<string, unknown[] | undefined> }[];
}

/** Input tensor bytes a (ts-proto decoded) ModelInferRequest carries, raw or typed. */
export function inputBytes(message: InferMessageShape): number {
  let n = 0;
  for (const raw of message.rawInputContents ?? []) n += raw.byteLength;
  for (const input of message.inputs ?? []) {
    for (const [field, values] of Object.entries(input.contents ?? {})) {
      if (!Array.isArray(values)) continue;
      if (field === 'bytesContents') for (const b of values as Uint8Array[]) n += b.byteLength;
      else n += values.length * (CONTENTS_BYTES[field] ?? 8);
    }
  }
  return n;
}

/** The model a request message is about (ModelInfer: model_name; ModelMetadata/Ready/Config: name). */
function modelOf(message: unknown): string {
  const m = message as { modelName?: unknown; name?: unknown };
  const name = m?.modelName ?? m?.name;
  return typeof name === 'string' ? name : '';
}

/** Host part of a grpc-js peer string ("127.0.0.1:5000", "[::1]:5000"). */
function peerHost(peer: string): string {
  const m = /^\[?([^\]]*?)\]?:\d+$/.exec(peer);
  return m ? m[1] : peer;
}

type Authenticated = Principal | { error: string };

function authenticate(store: PrincipalStore, metadata: Metadata, peerCertificate: Buffer | undefined): Authenticated {
  const values = metadata.get('authorization');
  if (values.length > 1) return { error: 'send one authorization metadata entry, not several' };
  if (values.length === 1) {
    const m = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(String(values[0]));
    if (!m) return { error: "the authorization metadata must be 'Bearer <token>'" };
    return store.byToken(m[1]) ?? { error: 'the bearer token is not valid' };
  }
  if (peerCertificate) return store.byCertificateSubject(formatSubject(peerCertificate));
  return { error: "this call needs credentials: an 'authorization: Bearer <token>' metadata entry or a client certificate" };
}

export function createSecurityInterceptor(options: SecurityInterceptorOptions): ServerInterceptor {
  const { principals, openProbes, rateLimiter, undecodable, log } = options;
  return (descriptor, call) => {
    const rule = methodRule(descriptor.path);
    const method = methodName(descriptor.path);
    const isProbe = rule.kind === 'probe';
    let principal: Principal | null = null;
    let limitKey = '';
    let refused = false;

    const refuse = (code: status, details: string, trailer?: Metadata): void => {
      refused = true;
      log.debug({ method, principal: principal?.name, via: principal?.via, code: status[code] }, 'call refused');
      call.sendStatus({ code, details, metadata: trailer ?? new Metadata() });
    };
    const refuseRate = (d: RateDecision): void => {
      const trailer = new Metadata();
      trailer.set(RETRY_AFTER_MS, String(d.retryAfterMs));
      refuse(
        status.RESOURCE_EXHAUSTED,
        `${method}: rate limit of ${d.limit} for '${limitKey}' exceeded; retry in ${d.retryAfterMs} ms`,
        trailer,
      );
    };

    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (principals && !(isProbe && openProbes)) {
              const who = authenticate(principals, metadata, call.getAuthContext().sslPeerCertificate?.raw);
              if ('error' in who) return refuse(status.UNAUTHENTICATED, `${method}: ${who.error}`);
              principal = who;
              if (rule.kind !== 'model') {
                const missing = missingScope(who.scopes, rule, '');
                if (missing) {
                  return refuse(status.PERMISSION_DENIED, `${method}: principal '${who.name}' lacks scope ${missing}`);
                }
              }
            }
            metadata.remove('authorization');
            if (!isProbe && rateLimiter.limits) {
              limitKey = principal?.name ?? `peer ${peerHost(call.getPeer())}`;
              const d = rateLimiter.takeRequest(limitKey);
              if (d.retryAfterMs > 0) return refuseRate(d);
            }
            nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => {
            if (refused) return;
            if (undecodable(message)) return nextMessage(message);
            if (principal && rule.kind === 'model') {
              const model = modelOf(message);
              const missing = missingScope(principal.scopes, rule, model);
              if (missing) {
                return refuse(
                  status.PERMISSION_DENIED,
                  `${method}: principal '${principal.name}' lacks scope ${missing} for model '${model}'`,
                );
              }
            }
            if (limitKey !== '' && INFER_METHODS.has(method)) {
              const d = rateLimiter.takeInputBytes(limitKey, inputBytes(message as InferMessageShape));
              if (d.retryAfterMs > 0) return refuseRate(d);
            }
            nextMessage(message);
          },
        }),
    });
  };
}
