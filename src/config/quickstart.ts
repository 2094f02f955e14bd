// The config a first start runs on when there is no config file: every model on the built-in simulator, so the
// gateway works end to end on a machine with no provider account. It is still authenticated like any other.
export const QUICKSTART_YAML = `# Archway quickstart: simulated models, no provider account needed.
# Copy this to archway.yaml and point the backends at real providers.
models:
  gpt-4o-mini:
    routing: priority
    backends:
      - name: simulator-primary
        provider: simulator
        simulator: { latency_ms: 20, tokens_per_second: 200, chunk_tokens: 2 }
      - name: simulator-fallback
        provider: simulator
        priority: 1
        simulator: { latency_ms: 40, tokens_per_second: 100, chunk_tokens: 2 }
  text-embedding-3-small:
    backends:
      - name: simulator-embeddings
        provider: simulator
`;
