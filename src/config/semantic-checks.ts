// Rules JSON Schema cannot say: what each provider needs, URLs that parse, names that are unique. Also fills the
// derived defaults (a backend's name and upstream model), so the rest of the code reads them as always present.
import { SimulatorSchema, type Config, type SimulatorSettings } from './schema.ts';
import type { ConfigProblem } from './config-error.ts';
import { compile, readablePath } from '../validation/compile.ts';
import { checkUpstreamTransport } from './upstream-transport-checks.ts';
import { REMOTE_GUARDRAIL_TYPES } from './guardrails-schema.ts';

const DEFAULT_BASE_URL: Readonly<Record<string, string>> = { anthropic: 'https://api.anthropic.com' };

// Validating an empty object fills in every default of the simulator settings.
const fillSimulatorDefaults = compile<SimulatorSettings>(SimulatorSchema);

function defaultSimulator(): SimulatorSettings {
  const settings: unknown = {};
  fillSimulatorDefaults(settings);
  return settings as SimulatorSettings;
}

const pointerToken = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function semanticProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [modelName, model] of Object.entries(config.models)) {
    const names = new Set<string>();
    model.backends.forEach((backend, i) => {
      // The same path format as schema errors (readablePath), so one backend is named alike in every message.
      const at = readablePath(`/models/${pointerToken(modelName)}/backends/${i}`);
      const b = backend as { -readonly [K in keyof typeof backend]: (typeof backend)[K] };
      b.name ??= `${b.provider}-${i}`;
      b.model ??= modelName;
      b.base_url ??= DEFAULT_BASE_URL[b.provider];
      if (b.provider === 'simulator') b.simulator ??= defaultSimulator();
      if (names.has(b.name)) problems.push({ path: `${at}.name`, message: `"${b.name}" is used twice in this model; names must be unique` });
      names.add(b.name);
      if (b.provider !== 'simulator' && b.base_url === undefined) {
        problems.push({ path: `${at}.base_url`, message: `is required for provider ${b.provider}` });
      }
      if (b.base_url !== undefined) {
        let url: URL | undefined;
        try {
          url = new URL(b.base_url);
        } catch {
          problems.push({ path: `${at}.base_url`, message: `"${b.base_url}" is not a URL` });
        }
        if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
          problems.push({ path: `${at}.base_url`, message: `must be http:// or https://, got ${url.protocol}` });
        }
        if (url && (url.search !== '' || url.hash !== '')) {
          problems.push({ path: `${at}.base_url`, message: 'must not have a query or fragment' });
        }

      }
      if (b.provider === 'azure-openai' && b.api_version === undefined) {
        problems.push({ path: `${at}.api_version`, message: 'is required for provider azure-openai (e.g. "2024-10-21")' });
      }
      if (b.simulator !== undefined && b.provider !== 'simulator') {
        problems.push({ path: `${at}.simulator`, message: 'is only for provider simulator' });
      }
    });
  }
  problems.push(...checkUpstreamTransport(config), ...policyProblems(config), ...guardrailProblems(config), ...costProblems(config));
  if (config.auth.oidc !== undefined && !/^https?:\/\/[^/]/.test(config.auth.oidc.jwks_url)) {
    problems.push({ path: 'auth.oidc.jwks_url', message: `must be an http(s) URL, got "${config.auth.oidc.jwks_url}"` });
  }
  return problems;
}

/** Attribute policies that could never do what they say: a name used twice, a model that does not exist. */
function policyProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Set<string>();
  config.policies.forEach((policy, i) => {
    if (names.has(policy.name)) problems.push({ path: `policies[${i}].name`, message: `"${policy.name}" is used twice; policy names must be unique (refusals name them)` });
    names.add(policy.name);
    policy.models?.forEach((model, j) => {
      if (!(model in config.models)) {
        problems.push({ path: `policies[${i}].models[${j}]`, message: `no model "${model}" in this config (models: ${Object.keys(config.models).join(', ')})` });
      }
    });
  });
  return problems;
}

/** Guardrail policies must name defined guardrails, attachments defined policies, and a "default" policy exist. */
function guardrailProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const g = config.guardrails;
  const defined = Object.keys(g.definitions);
  for (const [policy, names] of Object.entries(g.policies)) {
    names.forEach((name, i) => {
      if (!(name in g.definitions)) problems.push({ path: `guardrails.policies.${policy}[${i}]`, message: `no guardrail "${name}" in guardrails.definitions (defined: ${defined.join(', ') || 'none'})` });
    });
  }
  if (!('default' in g.policies)) problems.push({ path: 'guardrails.policies', message: 'needs a policy named "default" (an empty list turns guardrails off)' });
  g.attach.forEach((a, i) => {
    if (!(a.policy in g.policies)) problems.push({ path: `guardrails.attach[${i}].policy`, message: `no policy "${a.policy}" in guardrails.policies` });
  });
  for (const [name, d] of Object.entries(g.definitions)) {
    if (d.type === 'word_list' && (d.words === undefined || d.words.length === 0)) problems.push({ path: `guardrails.definitions.${name}.words`, message: 'a word_list guardrail needs words' });
    if ((REMOTE_GUARDRAIL_TYPES as readonly string[]).includes(d.type) && d.endpoint === undefined) {
      problems.push({ path: `guardrails.definitions.${name}.endpoint`, message: `a ${d.type} guardrail needs the service's endpoint URL` });
    }
  }
  return problems;
}

/** The semantic cache needs an embeddings model of this config; quotas and cache settings must name real models. */
function costProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const semantic = config.cache.semantic;
  const models = Object.keys(config.models);
  if (semantic.enabled) {
    const name = semantic.embeddings_model;
    if (name === undefined) problems.push({ path: 'cache.semantic.embeddings_model', message: 'is required when the semantic cache is enabled: name a model of this config that serves embeddings' });
    else if (!(name in config.models)) problems.push({ path: 'cache.semantic.embeddings_model', message: `no model "${name}" in this config (models: ${models.join(', ')})` });
    else if (config.models[name]!.backends.every((b) => b.provider === 'anthropic')) problems.push({ path: 'cache.semantic.embeddings_model', message: `"${name}" has no backend that serves embeddings` });
  }
  semantic.models?.forEach((m, i) => {
    if (!(m in config.models)) problems.push({ path: `cache.semantic.models[${i}]`, message: `no model "${m}" in this config` });
  });
  for (const m of Object.keys(config.quotas.models)) {
    if (!(m in config.models)) problems.push({ path: `quotas.models.${m}`, message: `no model "${m}" in this config (models: ${models.join(', ')})` });
  }
  return problems;
}
