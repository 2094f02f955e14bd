// Runs the `archway` command as a child process, the way an operator does, bounded in time.
import { spawn } from 'node:child_process';
import { CLI, NODE } from './gateway.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `input`: written to the command's standard input (else it gets none). */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; node?: string; script?: string; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? NODE, [options.script ?? CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ARCHWAY_CONFIG: '', ARCHWAY_ADMIN_KEY: '', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`archway ${args.join(' ')} did not finish:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
