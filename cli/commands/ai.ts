// `hyperion-verify ai`: quantise a float ONNX model into our integer format, register a model
// (its id and whether the onnxruntime fast path is exact on this machine), and run an inference
// with either engine, printing the output tensor, its hash and the trace root.
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { decodeModel, encodeModel, modelId, ModelFormatError, type IntModel } from '../../ai/model.js';
import { quantizeInput, quantizeOnnx } from '../../ai/quantize.js';
import { evaluate, type Evaluation } from '../../ai/reference.js';
import { checkFastPath, defaultCorpus, FastPath } from '../../ai/fast-path.js';
import { commitTrace, outputHash } from '../../ai/trace.js';
import { inferenceGas, macCount } from '../../ai/gas.js';
import { AiFileError, parseCalibration, parseInput } from '../../ai/files.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function loadModel(path: string): IntModel {
  const bytes = new Uint8Array(readFile(path, 'model'));
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AiFileError) throw new UsageError(e.message);
    throw e;
  }
}

export function registerAiCommand(program: Command): void {
  const ai = program.command('ai').description('deterministic integer inference: quantise, register and run models');

  ai.command('quantize')
    .description('turn a float ONNX model into our integer model, calibrated on FILE; prints the accuracy report')
    .requiredOption('--model <file>', 'float ONNX model')
    .requiredOption('--calibration <file>', 'JSON array of input samples (arrays of reals)')
    .requiredOption('--out <file>', 'where to write the integer model')
    .option('--json', 'machine-readable output')
    .action(async (opts: { model: string; calibration: string; out: string; json?: boolean }) => {
      const cal = usage(() => parseCalibration(readFile(opts.calibration, 'calibration file').toString('utf8')));
      const { model, report } = await quantizeOnnx(new Uint8Array(readFile(opts.model, 'model')), cal);
      const bytes = encodeModel(model);
      writeFileSync(opts.out, bytes);
      const id = bytesToHex(modelId(bytes));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ modelId: id, out: opts.out, bytes: bytes.length, nodes: model.nodes.length, macs: macCount(model), report }) + '\n');
        return;
      }
      process.stdout.write(
        `wrote ${opts.out}: ${model.nodes.length} nodes, ${bytes.length} bytes, ${macCount(model)} MACs\n` +
          `model id: ${id}\n` +
          `accuracy over ${report.samples} calibration samples: max abs error ${report.maxAbsError.toPrecision(4)}, mean abs error ${report.meanAbsError.toPrecision(4)}` +
          (report.top1Agreement === null ? '' : `, top-1 agreement ${(report.top1Agreement * 100).toFixed(1)}%`) +
          ` (float output range [${report.outputRange[0].toPrecision(4)}, ${report.outputRange[1].toPrecision(4)}])\n`,
      );
    });

  ai.command('register')
    .description('print the model id and gas, and check the onnxruntime fast path against the reference')
    .requiredOption('--model <file>', 'integer model')
    .option('--json', 'machine-readable output')
    .action(async (opts: { model: string; json?: boolean }, cmd: Command) => {
      const { log } = contextOf(cmd);
      const model = loadModel(opts.model);
      const check = await checkFastPath(model, undefined, (line) => log.warn(line));
      const doc = { modelId: check.modelId, macs: macCount(model), gas: inferenceGas(model).toString(), fastPath: check };
      if (opts.json) {
        process.stdout.write(JSON.stringify(doc) + '\n');
        return;
      }
      process.stdout.write(
        `model id: ${check.modelId}\n` +
          `gas per inference: ${doc.gas} (${doc.macs} MACs)\n` +
          (check.enabled
            ? `fast path: enabled (onnxruntime matched the reference on every node output of ${check.samples} corpus inputs)\n`
            : `fast path: DISABLED (${check.reason ?? 'unknown'})\n`),
      );
    });

  ai.command('infer')
    .description('run one inference; prints the output tensor, its hash and the trace root')
    .requiredOption('--model <file>', 'integer model')
    .requiredOption('--input <file>', 'JSON array of int8 values, or {"real": [...]}')
    .addOption(new Option('--engine <engine>', 'evaluator').choices(['reference', 'onnxruntime']).default('reference'))
    .option('--json', 'machine-readable output')
    .action(async (opts: { model: string; input: string; engine: 'reference' | 'onnxruntime'; json?: boolean }, cmd: Command) => {
      const { log } = contextOf(cmd);
      const model = loadModel(opts.model);
      const parsed = usage(() => parseInput(readFile(opts.input, 'input file').toString('utf8')));
      const input = parsed.kind === 'int8' ? parsed.values : quantizeInput(model, parsed.values);
      let ev: Evaluation;
      try {
        if (opts.engine === 'onnxruntime') {
          // The fast path is only trusted after it matched the reference on this machine.
          const check = await checkFastPath(model, [...defaultCorpus(model), input], (line) => log.warn(line));
          if (check.enabled) {
            const fp = await FastPath.create(model);
            try {
              ev = await fp.evaluate(input);
            } finally {
              await fp.release();
            }
          } else {
            log.warn('falling back to the reference evaluator');
            ev = evaluate(model, input);
          }
        } else ev = evaluate(model, input);
      } catch (e) {
        if (e instanceof ModelFormatError) throw new UsageError(e.message);
        throw e;
      }
      const trace = commitTrace(model, ev);
      const out = ev.output;
      const doc = {
        modelId: bytesToHex(modelId(model)),
        shape: out.shape,
        output: Array.from(out.data),
        outputScale: model.nodes[model.nodes.length - 1].scale,
        outputHash: bytesToHex(outputHash(out)),
        traceRoot: bytesToHex(trace.root),
        nodes: model.nodes.length,
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(doc) + '\n');
        return;
      }
      process.stdout.write(
        `output [${out.shape.join(', ')}]: ${JSON.stringify(doc.output)}\n` +
          `output (dequantised): ${JSON.stringify(doc.output.map((v) => Number((v * doc.outputScale).toPrecision(6))))}\n` +
          `output hash: ${doc.outputHash}\n` +
          `trace root: ${doc.traceRoot} (${doc.nodes + 1} leaves)\n`,
      );
    });
}
