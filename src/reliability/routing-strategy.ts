// The order in which a request tries a model's backends. Backends that cannot take a request now (open circuit,
// cooling down after a 429) are skipped; the caller fails over down the returned list.
import type { RoutingStrategyName } from '../config/schema.ts';

export interface Routable {
  readonly priority: number;
  readonly weight: number;
  /** Requests in flight on this backend, and its concurrency cap: for least-busy. */
  readonly inFlight: number;
  readonly capacity: number;
  /** False while the backend's circuit is open or it is cooling down. */
  canAttempt(): boolean;
}

/**
 * Weighted random order (Efraimidis–Spirakis): each item gets the key u^(1/w), sorted descending, so an item is
 * first with probability proportional to its weight. Weight 0 sorts last: used only when nothing else is left.
 */
function weightedOrder<T extends Routable>(items: T[], random: () => number): T[] {
  if (items.length < 2) return items;
  const keyed = items.map((item) => ({ item, key: item.weight > 0 ? Math.pow(random(), 1 / item.weight) : -1 }));
  keyed.sort((a, b) => b.key - a.key);
  return keyed.map((k) => k.item);
}

function byPriorityThenWeight<T extends Routable>(items: T[], random: () => number): T[] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(item.priority);
    if (group) group.push(item);
    else groups.set(item.priority, [item]);
  }
  const priorities = [...groups.keys()].sort((a, b) => a - b);
  return priorities.flatMap((p) => weightedOrder(groups.get(p)!, random));
}

function leastBusy<T extends Routable>(items: T[], random: () => number): T[] {
  // Ties are broken at random so equal backends share the load instead of the first one taking it all.
  const keyed = items.map((item) => ({ item, load: item.inFlight / item.capacity, tie: random() }));
  keyed.sort((a, b) => a.load - b.load || a.tie - b.tie);
  return keyed.map((k) => k.item);
}

export function orderBackends<T extends Routable>(
  strategy: RoutingStrategyName,
  backends: readonly T[],
  random: () => number = Math.random,
): T[] {
  if (backends.length === 1) return backends[0]!.canAttempt() ? [backends[0]!] : []; // the common single-backend model
  const available = backends.filter((b) => b.canAttempt());
  switch (strategy) {
    case 'priority':
      return byPriorityThenWeight(available, random);
    case 'weighted':
      return weightedOrder(available, random);
    case 'least-busy':
      return leastBusy(available, random);
  }
}
