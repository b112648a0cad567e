// ort_peer.js - the ONNX Runtime peer of `make benchmark-transformer` (bench/transformer_peers.py).
//
// A long-lived child of the Python driver, so that its measurements interleave with the other
// peers' in one run: it reads one JSON request a line on stdin and answers one JSON line on
// stdout.
//   {"model": PATH, "ids": [[id, ...], ...], "batch": B, "reps": N, "threads": T}
//       runs the texts through the session of PATH (created once, intra-op threads T,
//       sequential, every graph optimization, no spinning between runs) in batches of B (padded to the longest, with an
//       attention mask of ones and zeros), N times over; answers {"times": [seconds per call]}
//       and the first call's logits {"logits": [[...], ...]} so the driver can check they are
//       those of PyTorch
//   {"open": PATH, "threads": T}   creates the session; answers {"seconds": creation time}
// onnxruntime-node 1.17.0 (bench/transformer/package.json) carries its Linux binary; newer
// releases download it at install time.
'use strict';
const ort = require('onnxruntime-node');
const readline = require('readline');

const sessions = new Map();

async function session(path, threads) {
    const key = path + '@' + threads;
    if (!sessions.has(key)) {
        sessions.set(key, await ort.InferenceSession.create(path, {
            intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
            graphOptimizationLevel: 'all',
            // no busy-waiting between runs: the peers take turns on this machine's two cores
            extra: { session: { intra_op: { allow_spinning: '0' } } },
        }));
    }
    return sessions.get(key);
}

function feeds(rows, pad) {
    const t = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * t).fill(BigInt(pad));
    const mask = new BigInt64Array(rows.length * t);
    rows.forEach((r, i) => r.forEach((id, j) => { ids[i * t + j] = BigInt(id); mask[i * t + j] = 1n; }));
    return {
        input_ids: new ort.Tensor('int64', ids, [rows.length, t]),
        attention_mask: new ort.Tensor('int64', mask, [rows.length, t]),
    };
}

async function handle(req) {
    if (req.open) {
        const t0 = process.hrtime.bigint();
        await session(req.open, req.threads);
        return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    }
    const s = await session(req.model, req.threads);
    const times = [];
    let logits = null;
    for (let rep = 0; rep < req.reps; rep++) {
        for (let i = 0; i < req.ids.length; i += req.batch) {
            const f = feeds(req.ids.slice(i, i + req.batch), req.pad || 0);
            const t0 = process.hrtime.bigint();
            const out = await s.run(f);
            times.push(Number(process.hrtime.bigint() - t0) / 1e9);
            if (!logits) {
                const l = out.logits, n = l.dims[1];
                logits = [];
                for (let k = 0; k < l.dims[0]; k++) logits.push(Array.from(l.data.slice(k * n, (k + 1) * n)));
            }
        }
    }
    return { times, logits };
}

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
    chain = chain.then(async () => {
        let answer;
        try {
            answer = await handle(JSON.parse(line));
        } catch (e) {
            answer = { error: String(e && e.message || e) };
        }
        process.stdout.write(JSON.stringify(answer) + '\n');
    });
});
