import type { Command } from 'commander';
import type { ExitCode } from '../exit-code';
import {
  CodegenError,
  findApiFiles,
  generate,
  importDefs,
  loadApiFiles,
  selectModules,
  writeGenerated,
} from 'vppwg-codegen';

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
