import type { Command } from 'commander';
import type { ExitCode } from '../exit-code';

type Codegen = typeof import('vppwg-codegen');

/**
 * The generator is a tool of the vppwg repository, not part of the published vppwg package: it is
 * loaded only when a codegen command runs, so the installed `vppwg` works without it.
 */
function loadCodegen(command: string, exit: ExitCode): Codegen | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
    return require('vppwg-codegen') as Codegen;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    process.stderr.write(
      `${command}: the generator (vppwg-codegen) is not installed; it is part of the vppwg repository: run this from a checkout after npm ci\n`,
    );
    exit.code = 1;
    return undefined;
  }
}

function modulesList(s: string | undefined): string[] | undefined {
  return s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0)
    : undefined;
}

/** Registers: codegen (generate bindings) and codegen import (refresh api-defs/ from an installed VPP). */
export function registerCodegenCommands(program: Command, exit: ExitCode): void {
  const cg = program
    .command('codegen')
    .description('generate TypeScript bindings from VPP .api.json definitions')
    .option('--api-dir <dir>', 'VPP API directory (core/*.api.json, plugins/*.api.json) or one file')
    .option('--out <dir>', 'output directory for the generated modules')
    .option('--modules <list>', 'comma-separated modules (their imports are included)')
    .action((opts: { apiDir?: string; out?: string; modules?: string }) => {
      if (!opts.apiDir || !opts.out) {
        process.stderr.write('vppwg codegen: --api-dir DIR and --out DIR are required\n');
        exit.code = 2;
        return;
      }
      const codegen = loadCodegen('vppwg codegen', exit);
      if (!codegen) return;
      const { CodegenError, findApiFiles, generate, loadApiFiles, selectModules, writeGenerated } = codegen;
      try {
        const files = selectModules(loadApiFiles(findApiFiles(opts.apiDir)), modulesList(opts.modules));
        const res = generate(files);
        for (const m of res.crcMismatches) {
          process.stderr.write(`warning: ${m.module}.${m.message}: stated CRC ${m.stated}, computed ${m.computed}\n`);
        }
        writeGenerated(opts.out, res.files);
        process.stdout.write(`generated ${files.length} modules, ${res.messageCount} messages into ${opts.out}\n`);
        if (res.crcMismatches.length) exit.code = 1;
      } catch (e) {
        if (e instanceof CodegenError) {
          process.stderr.write(`vppwg codegen: ${e.message}\n`);
          exit.code = 1;
          return;
        }
        throw e;
      }
    });
  cg.command('import')
    .description("refresh api-defs/ from an installed VPP's API directory (definitions only, no comment text)")
    .requiredOption('--from <dir>', 'VPP API directory, e.g. /usr/share/vpp/api')
    .option('--modules <list>', 'comma-separated modules (their imports are included)')
    .option('--to <dir>', 'destination', 'api-defs')
    .action((opts: { from: string; modules?: string; to: string }) => {
      // `--modules` after `import` may be claimed by the parent `codegen` command's option of that name.
      const modules = modulesList(opts.modules ?? (cg.opts() as { modules?: string }).modules);
      if (!modules) {
        process.stderr.write('vppwg codegen import: --modules a,b,... is required (e.g. --modules wireguard,ip)\n');
        exit.code = 2;
        return;
      }
      const codegen = loadCodegen('vppwg codegen import', exit);
      if (!codegen) return;
      const { CodegenError, importDefs } = codegen;
      try {
        const written = importDefs(opts.from, opts.to, modules);
        process.stdout.write(`imported ${written.length} modules into ${opts.to}\n`);
      } catch (e) {
        if (e instanceof CodegenError) {
          process.stderr.write(`vppwg codegen import: ${e.message}\n`);
          exit.code = 1;
          return;
        }
        throw e;
      }
    });
}
