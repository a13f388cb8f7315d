// Triton's version_policy: which of the version folders on disk are served.

import type { VersionPolicy } from '../config/model-config';

/** `available` ascending; returns the versions to serve, ascending. */
export function selectVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  switch (policy.kind) {
    case 'all':
      return [...available];
    case 'latest':
      return available.slice(Math.max(0, available.length - policy.numVersions));
    case 'specific':
      return available.filter((v) => policy.versions.includes(v));
  }
}
