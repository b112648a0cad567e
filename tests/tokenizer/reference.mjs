// The parity reference of tests/cli/tokenizer.sh: transformers.js tokenizers on local files only.
//   node reference.mjs DIR TEXTS_HEX [MAX_LEN] [--bench N]
// DIR holds tokenizer.json (+ tokenizer_config.json); TEXTS_HEX has one text a line in
// hexadecimal (valid UTF-8: the C side's --decode output). Prints the ids of each text on a
// line, with the special tokens; with MAX_LEN, truncated to MAX_LEN ids. --bench N: encode
// every text N times and print the ids per second on stderr instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env, AutoTokenizer } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.allowLocalModels = true;
const args = process.argv.slice(2);
let bench = 0;
const b = args.indexOf('--bench');
if (b >= 0) { bench = Number(args[b + 1]); args.splice(b, 2); }
const [dir, textsFile, maxLen] = args;
env.localModelPath = path.dirname(path.resolve(dir)) + '/';
const tok = await AutoTokenizer.from_pretrained(path.basename(path.resolve(dir)));
const texts = readFileSync(textsFile, 'utf8').split('\n');
if (texts.length && texts[texts.length - 1] === '') texts.pop();
const decoded = texts.map((h) => Buffer.from(h, 'hex').toString('utf8'));
const encode = (t) => maxLen
    ? tok(t, { truncation: true, max_length: Number(maxLen), return_tensor: false }).input_ids
    : tok.encode(t);
if (bench) {
    let ids = 0;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < bench; r++) for (const t of decoded) ids += encode(t).length;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stderr.write(`${decoded.length} texts x ${bench}: ${ids} ids in ${dt.toFixed(3)} s: ` +
        `${(ids / dt).toFixed(0)} ids/s, ${(dt * 1e6 / (decoded.length * bench)).toFixed(2)} us/text\n`);
} else {
    const out = decoded.map((t) => encode(t).join(' '));
    process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}
