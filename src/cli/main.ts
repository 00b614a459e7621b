import { runCli } from './program.js';

// `ua-export … | head`: the reader went away; stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/**
 * `ua-export` entry point (bin/ua-export.js loads it through tsx). Sets the exit code and lets the
 * process end on its own, so output piped to another program is never cut short by process.exit.
 */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
