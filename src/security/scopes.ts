// Scopes and what each RPC needs. `infer:<model pattern>` (`*` matches any run of characters) allows inference on
// the matching models and reading their metadata; `read` allows metadata, readiness, config, statistics, the
// repository index and reflection for every model; `admin` allows everything, including repository load and
// unload. Probes (grpc.health.v1, ServerLive, ServerReady) are open unless the server is told otherwise. A method
// missing from the table needs `admin`, so a service added later is closed until someone decides.

export type Scope = { kind: 'admin' } | { kind: 'read' } | { kind: 'infer'; pattern: string; matches: RegExp };

export function parseScope(text: string, where: string): Scope {
  if (text === 'admin' || text === 'read') return { kind: text };
  const m = /^infer:(.+)$/.exec(text);
  if (m && /^[A-Za-z0-9_.*-]+$/.test(m[1])) {
    const body = m[1].replace(/[.]/g, '\\.').replace(/\*/g, '.*');
    return { kind: 'infer', pattern: m[1], matches: new RegExp(`^${body}$`) };
  }
  throw new Error(`${where}: unknown scope '${text}' (use 'admin', 'read' or 'infer:<model name or pattern with *>')`);
}

/** What a method needs: nothing (a probe), a fixed scope, or a scope that depends on the model in the message. */
export type MethodRule =
  | { kind: 'probe' }
  | { kind: 'fixed'; scope: 'read' | 'admin' }
  /** Scope `infer:<model>`; with `readAllows`, `read` is enough too. */
  | { kind: 'model'; readAllows: boolean };

const OIP = '/inference.GRPCInferenceService/';

const RULES: Record<string, MethodRule> = {
  '/grpc.health.v1.Health/Check': { kind: 'probe' },
  '/grpc.health.v1.Health/Watch': { kind: 'probe' },
  [`${OIP}ServerLive`]: { kind: 'probe' },
  [`${OIP}ServerReady`]: { kind: 'probe' },
  [`${OIP}ServerMetadata`]: { kind: 'fixed', scope: 'read' },
  [`${OIP}ModelStatistics`]: { kind: 'fixed', scope: 'read' },
  [`${OIP}RepositoryIndex`]: { kind: 'fixed', scope: 'read' },
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo': { kind: 'fixed', scope: 'read' },
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo': { kind: 'fixed', scope: 'read' },
  [`${OIP}ModelReady`]: { kind: 'model', readAllows: true },
  [`${OIP}ModelMetadata`]: { kind: 'model', readAllows: true },
  [`${OIP}ModelConfig`]: { kind: 'model', readAllows: true },
  [`${OIP}ModelInfer`]: { kind: 'model', readAllows: false },
  [`${OIP}ModelStreamInfer`]: { kind: 'model', readAllows: false },
  [`${OIP}RepositoryModelLoad`]: { kind: 'fixed', scope: 'admin' },
  [`${OIP}RepositoryModelUnload`]: { kind: 'fixed', scope: 'admin' },
};

export function methodRule(path: string): MethodRule {
  return RULES[path] ?? { kind: 'fixed', scope: 'admin' };
}

/** Short method name for messages: 'ModelInfer' from '/inference.GRPCInferenceService/ModelInfer'. */
export const methodName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Null when allowed; otherwise the scope (or scopes) that would allow it, for the PERMISSION_DENIED message. */
export function missingScope(scopes: readonly Scope[], rule: MethodRule, model: string): string | null {
  if (rule.kind === 'probe' || scopes.some((s) => s.kind === 'admin')) return null;
  if (rule.kind === 'fixed') return scopes.some((s) => s.kind === rule.scope) ? null : `'${rule.scope}'`;
  if (rule.readAllows && scopes.some((s) => s.kind === 'read')) return null;
  if (scopes.some((s) => s.kind === 'infer' && s.matches.test(model))) return null;
  return rule.readAllows ? `'read' or 'infer:${model}'` : `'infer:${model}'`;
}
