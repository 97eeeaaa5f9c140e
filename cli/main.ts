// Entry point: run the program, turn any failure into a one-line reason and an exit code.
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { exitCodeFor, oneLineReason } from './errors.js';

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its own message (help, version or the usage error).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`hyperion-verify: ${oneLineReason(err)}\n`);
    return exitCodeFor(err);
  }
}

const code = await main(process.argv);
// Flush stdout before exiting: results may be piped to a file.
process.stdout.write('', () => process.exit(code));
