// Simulated upstreams for tests: real HTTP servers on loopback, with faults set per server.
import { Value } from '@sinclair/typebox/value';
import { SimulatorSchema, type SimulatorFaults, type SimulatorSettings } from '../../src/config/schema.ts';
import { startSimulator, type SimulatorHandle } from '../../src/providers/simulator/server.ts';

export function simulatorSettings(overrides: Partial<Omit<SimulatorSettings, 'faults'>> & { faults?: Partial<SimulatorFaults> } = {}): SimulatorSettings {
  const defaults = Value.Default(SimulatorSchema, {}) as SimulatorSettings;
  return { ...defaults, ...overrides, faults: { ...defaults.faults, ...overrides.faults } };
}

export async function startSimulators(count: number, overrides: Parameters<typeof simulatorSettings>[0] = {}, apiKey?: string): Promise<SimulatorHandle[]> {
  return Promise.all(Array.from({ length: count }, () => startSimulator(simulatorSettings(overrides), apiKey ? { apiKey } : {})));
}

export async function closeAll(sims: readonly SimulatorHandle[]): Promise<void> {
  await Promise.all(sims.map((s) => s.close()));
}
