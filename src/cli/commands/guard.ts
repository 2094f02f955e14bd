// `archway guard check [--policy NAME] [--stage input|output]`: runs a guardrail policy of the config over JSON lines
// ({"text": …}) on standard input and writes one verdict per line, so operators can try a policy on their own data
// before turning it on, and CI can gate on it.
import { createInterface } from 'node:readline';
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { GuardrailPolicies, runGuardrails } from '../../guardrails/guardrail-policies.ts';
import { parseCommandLine, UsageError } from '../usage-error.ts';

export async function guardCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values } = parseCommandLine({ args: rest, strict: true, options: { policy: { type: 'string' }, stage: { type: 'string' }, config: { type: 'string', short: 'c' } } });
  if (action !== 'check') throw new UsageError('usage: archway guard check [--policy NAME] [--stage input|output] < lines.jsonl');
  const stage = values.stage ?? 'input';
  if (stage !== 'input' && stage !== 'output') throw new UsageError(`--stage must be input or output, got "${stage}"`);
  const { config } = await loadConfig(resolveConfigPath(values.config, process.env));
  const policies = new GuardrailPolicies(config.guardrails);
  const name = values.policy ?? 'default';
  const guardrails = policies.named(name);
  if (guardrails === undefined) throw new UsageError(`no guardrail policy "${name}"; the config has: ${policies.policyNames.join(', ')}`);
  let line = 0;
  for await (const raw of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    line++;
    if (raw.trim() === '') continue;
    let text: unknown;
    try {
      text = (JSON.parse(raw) as { text?: unknown }).text;
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string') {
      process.stdout.write(`${JSON.stringify({ line, error: 'expected a JSON object with a string "text"' })}\n`);
      process.exitCode = 1;
      continue;
    }
    const verdict = runGuardrails(guardrails, stage, text, 'user');
    const findings = verdict.findings.map(({ guardrail, type, text: found, start, end, score }) => ({ guardrail, type, text: found, start, end, score }));
    const out = { action: verdict.action, findings, redacted: verdict.text };
    if (!process.stdout.write(`${JSON.stringify(out)}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}
