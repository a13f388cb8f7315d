// The parameters RepositoryModelLoad accepts:
//   config: Triton's JSON model config override; inferd applies its version_policy (rollback), see
//           config/config-override.ts. Without it, a load goes back to config.pbtxt's version_policy.
//   split:  split.pbtxt text for a traffic-split alias (new weights without editing the file). Without it, the
//           alias's split.pbtxt is read again.

import { parseVersionPolicyOverride } from '../config/config-override';
import { invalidArgument } from '../errors';
import type { LoadOverrides } from '../repository/model-repository';
import type { Params } from './types';

export function parseLoadParameters(name: string, parameters: Params): LoadOverrides {
  const unknown = Object.keys(parameters).filter((k) => k !== 'config' && k !== 'split');
  if (unknown.length > 0) {
    throw invalidArgument(`model '${name}': load parameter '${unknown[0]}' is not supported (supported: config, split)`);
  }
  const text = (key: string): string | null => {
    const v = parameters[key];
    if (v === undefined) return null;
    if (typeof v !== 'string') throw invalidArgument(`model '${name}': load parameter '${key}' must be a string`);
    return v;
  };
  const config = text('config');
  let versionPolicy = null;
  if (config !== null) {
    try {
      versionPolicy = parseVersionPolicyOverride(config);
    } catch (err) {
      throw invalidArgument(`model '${name}': ${(err as Error).message}`);
    }
  }
  return { versionPolicy, splitText: text('split') };
}
