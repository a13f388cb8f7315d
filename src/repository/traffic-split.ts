// Routing for a traffic-split alias (split-config.ts): picks the arm that answers a request, by weight, at
// random or — with a sticky value — by a hash of that value, so one caller stays on one arm while the weights
// and the set of ready arms stay the same. Arms that are not ready get no traffic; their share goes to the others.

import { createHash } from 'node:crypto';
import type { SplitArm, SplitConfig } from '../config/split-config';

/** A point in [0, 1) fixed by the alias and the sticky value. */
export function stickyPoint(alias: string, value: string): number {
  const digest = createHash('sha256').update(`${alias}\0${value}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export class TrafficSplit {
  constructor(
    readonly alias: string,
    readonly config: SplitConfig,
    /** Where the weights came from: the alias's split.pbtxt, or a RepositoryModelLoad parameter. */
    readonly source: 'split.pbtxt' | 'RepositoryModelLoad',
  ) {}

  /** The arm for `point` in [0, 1) among the arms `usable` accepts, by weight; null when none is usable. */
  pick(point: number, usable: (arm: SplitArm) => boolean): SplitArm | null {
    const arms = this.config.arms.filter((a) => a.weight > 0 && usable(a));
    const total = arms.reduce((sum, a) => sum + a.weight, 0);
    let left = point * total;
    for (const arm of arms) {
      if (left < arm.weight) return arm;
      left -= arm.weight;
    }
    return arms.length > 0 ? arms[arms.length - 1] : null;
  }

  describe(): string {
    const total = this.config.arms.reduce((sum, a) => sum + a.weight, 0);
    const arms = this.config.arms.map(
      (a) => `${a.model}/${a.version === 0 ? 'latest' : a.version} ${((100 * a.weight) / total).toFixed(1)}%`,
    );
    const sticky = this.config.stickyKey ? `, sticky by '${this.config.stickyKey}'` : '';
    return `traffic split (${this.source}): ${arms.join(', ')}${sticky}`;
  }
}
