#!/usr/bin/env python3
"""`make benchmark-transformer`: the transformer kind against PyTorch and ONNX Runtime.

    transformer_peers.py [--out DIR] [--shapes distilbert-base,bert-base] [--lengths 16,64,128]
                         [--rounds 2] [--calls 10] [--threads 2] [--quick]

Models: random-weight checkpoints in the Hugging Face layout (tools/hf_checkpoint.py make) of
DistilBERT-base's shape (6 layers, 768 wide, 12 heads, ff 3072, vocabulary 30,522, 512
positions) and BERT-base's (12 layers), kept in DIR between runs. The same weights go to every
peer:
  senti f32, senti int8   files of `senti model import --dtype f32|int8`, through the Python
                          binding (build/python): predict() per text, predict_batch(threads=T)
  torch f32               the reference modules of tools/hf_checkpoint.py (Debian's
                          python3-torch; its BLAS is the system libblas.so.3, OpenBLAS when
                          libopenblas0-pthread is installed: the report says which is mapped)
  torch int8              torch.quantization.quantize_dynamic on every nn.Linear (qint8), with
                          the faster on a short trial of the quantized engines this torch has
                          (fbgemm, x86, onednn, qnnpack; Debian's has onednn and qnnpack)
  ort f32, ort int8       ONNX Runtime 1.17.0 from npm (bench/transformer/ort_peer.js, a Node
                          child), on the reference modules exported by torch.onnx.export; int8 is
                          that graph with every MatMul by a weight replaced as ONNX Runtime's own
                          dynamic quantizer does it (DynamicQuantizeLinear, MatMulInteger with
                          per-column int8 weights, Cast, Mul by both scales), written here with
                          python3-onnx since onnxruntime's Python quantizer is not in Debian
Texts: bert-base-uncased words that are one token each (from SST-2 dev), N - 2 of them, so each
text is exactly N ids with [CLS] and [SEP] (checked with senti's tokenizer). senti is given the
texts (its tokenizer runs inside the timing); PyTorch and ONNX Runtime are given the ids.

Measured, in ROUNDS interleaved rounds (each round runs every peer on every shape and length, in
a rotating order, so that the load of this shared machine falls on all of them alike):
  latency      one text per call, CALLS calls per round: p50 and p99 over all calls (senti runs
               a single text on one thread, by design; the others use T intra-op threads)
  throughput   batches of 32 texts of one length (T threads): texts/s from the median batch
               time, and the GFLOP/s that makes (2 x multiply-adds of the encoder's products)
  also         file sizes, model open time (senti: open + close through the binding, median of
               20; ONNX Runtime: session creation), wall time and peak RSS of one `senti
               predict` process with the int8 file against one Python process that loads the
               checkpoint into the PyTorch module and predicts the same text (GNU time, 3
               runs each, interleaved)
Before timing, the peers' logits are compared with PyTorch f32's on a few texts: the f32 ones
must agree to 1e-3, the int8 ones' distance is printed.
Prints a table and writes DIR/transformer.json. Wall-clock numbers on a shared machine: read
the ratios within one run.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import hf_checkpoint as hf  # noqa: E402

SHAPES = {
    "distilbert-base": {"arch": "distilbert", "layers": 6},
    "bert-base": {"arch": "bert", "layers": 12},
}
BATCH = 32


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---- models -------------------------------------------------------------------------------------


def prepare(a, shape):
    d = os.path.join(a.out, shape)
    hfdir = os.path.join(d, "hf")
    s = SHAPES[shape]
    if not os.path.exists(os.path.join(hfdir, "config.json")):
        print(f"  making {shape} ({s['layers']} layers, 768 wide) in {hfdir}", flush=True)
        sh(sys.executable, os.path.join(ROOT, "tools", "hf_checkpoint.py"), "make", "--arch", s["arch"],
           "--out", hfdir, "--layers", s["layers"], "--hidden", 768, "--heads", 12, "--ff", 3072,
           "--max-pos", 512, "--seed", 1)
    files = {}
    for t in ("f32", "int8"):
        files[t] = os.path.join(d, f"{t}.safetensors")
        if not os.path.exists(files[t]):
            sh(a.senti, "model", "import", hfdir, "-o", files[t], "--dtype", t, stdout=subprocess.DEVNULL)
    onnx32, onnx8 = os.path.join(d, "model.onnx"), os.path.join(d, "model.int8.onnx")
    if not os.path.exists(onnx32):
        export_onnx(hfdir, onnx32)
    if not os.path.exists(onnx8):
        quantize_onnx(onnx32, onnx8)
    files.update({"hf": hfdir, "onnx": onnx32, "onnx8": onnx8,
                  "weights": os.path.join(hfdir, "model.safetensors")})
    return files


def export_onnx(hfdir, path):
    import torch
    m = hf.load_reference(hfdir)
    ids, mask = hf.batch_tensors(m, [[101, 2023, 2003, 102], [101, 2204, 102]])
    torch.onnx.export(m, (ids, mask), path, input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=14, do_constant_folding=True,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}})


def quantize_onnx(src, dst):
    """Every MatMul whose second input is a 2-D float initializer W [K, N] becomes what
    onnxruntime.quantization.quantize_dynamic(per_channel=True, weight_type=QInt8) writes:
    x -> DynamicQuantizeLinear -> (xq uint8, xs, xz); MatMulInteger(xq, Wq int8, xz, zeros[N])
    -> Cast float -> Mul (xs * ws[N]). ws = max|W[:, n]| / 127 per column."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    g = onnx.load(src)
    inits = {i.name: i for i in g.graph.initializer}
    nodes = []
    for node in g.graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)
        ws = np.maximum(np.abs(W).max(0), 1e-30) / 127.0
        Wq = np.clip(np.rint(W / ws), -127, 127).astype(np.int8)
        p = node.output[0]
        g.graph.initializer.extend([numpy_helper.from_array(Wq, p + "_Wq"),
                                    numpy_helper.from_array(ws.astype(np.float32), p + "_Ws"),
                                    numpy_helper.from_array(np.zeros(W.shape[1], np.int8), p + "_Wz")])
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [node.input[0]], [p + "_xq", p + "_xs", p + "_xz"]),
            helper.make_node("MatMulInteger", [p + "_xq", p + "_Wq", p + "_xz", p + "_Wz"], [p + "_acc"]),
            helper.make_node("Cast", [p + "_acc"], [p + "_accf"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Mul", [p + "_xs", p + "_Ws"], [p + "_scale"]),
            helper.make_node("Mul", [p + "_accf", p + "_scale"], [p]),
        ]
    used = {i for n in nodes for i in n.input}
    keep = [i for i in g.graph.initializer if i.name in used]
    del g.graph.node[:]
    g.graph.node.extend(nodes)
    del g.graph.initializer[:]
    g.graph.initializer.extend(keep)
    onnx.save(g, dst)


# ---- texts --------------------------------------------------------------------------------------


def texts_of(a, hfdir, n_tokens, count):
    """count texts of exactly n_tokens ids: one-token words of SST-2 dev."""
    with open(os.path.join(hfdir, "vocab.txt"), encoding="utf-8") as f:
        vocab = {w.rstrip("\n") for w in f}
    words = set()
    with open(os.path.join(a.data, "sst2", "dev.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            words.update(w for w in line.rstrip("\n").split("\t")[-1].split() if w.isalpha() and w in vocab)
    words = sorted(words)
    rng = random.Random(n_tokens)
    texts = [" ".join(rng.choice(words) for _ in range(n_tokens - 2)) for _ in range(count)]
    r = sh(a.tokenize, "--max", 100000, hfdir, input="\n".join(texts) + "\n", stdout=subprocess.PIPE, text=True)
    ids = [[int(x) for x in line.split()] for line in r.stdout.splitlines()]
    assert all(len(i) == n_tokens for i in ids), "a text is not exactly %d ids" % n_tokens
    return texts, ids


# ---- the peers ----------------------------------------------------------------------------------


class SentiPeer:
    def __init__(self, name, path, threads):
        import senti
        self.name, self.m, self.threads = name, senti.Model(path), threads

    def latency(self, texts, ids):
        out = []
        for t in texts:
            t0 = time.perf_counter()
            self.m.predict(t)
            out.append(time.perf_counter() - t0)
        return out

    def batch(self, texts, ids):
        t0 = time.perf_counter()
        self.m.predict_batch(texts, threads=self.threads)
        return time.perf_counter() - t0

    def logits(self, texts, ids):
        return [[v for k, v in self.m.values(t).items()] for t in texts]


class TorchPeer:
    def __init__(self, name, hfdir, int8):
        import torch
        self.name, self.torch = name, torch
        self.m = hf.load_reference(hfdir)
        if int8:
            self.m = torch.quantization.quantize_dynamic(self.m, {torch.nn.Linear}, dtype=torch.qint8)

    def run(self, ids):
        with self.torch.no_grad():
            return self.m(*hf.batch_tensors(self.m, ids))

    def latency(self, texts, ids):
        out = []
        for i in ids:
            t0 = time.perf_counter()
            self.run([i])
            out.append(time.perf_counter() - t0)
        return out

    def batch(self, texts, ids):
        t0 = time.perf_counter()
        self.run(ids)
        return time.perf_counter() - t0

    def logits(self, texts, ids):
        return self.run(ids).tolist()


class OrtPeer:
    proc = None

    def __init__(self, name, path, threads):
        self.name, self.path, self.threads = name, path, threads
        if OrtPeer.proc is None:
            OrtPeer.proc = subprocess.Popen(["node", os.path.join(HERE, "transformer", "ort_peer.js")],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.open_seconds = self.ask({"open": path, "threads": threads})["seconds"]

    def ask(self, req):
        OrtPeer.proc.stdin.write(json.dumps(req) + "\n")
        OrtPeer.proc.stdin.flush()
        r = json.loads(OrtPeer.proc.stdout.readline())
        if "error" in r:
            raise RuntimeError(f"{self.name}: {r['error']}")
        return r

    def call(self, ids, batch):
        return self.ask({"model": self.path, "ids": ids, "batch": batch, "reps": 1, "threads": self.threads})

    def latency(self, texts, ids):
        return self.call(ids, 1)["times"]

    def batch(self, texts, ids):
        return self.call(ids, len(ids))["times"][0]

    def logits(self, texts, ids):
        return self.call(ids, len(ids))["logits"]


def torch_setup(threads):
    import torch
    torch.set_num_threads(threads)
    engines = [e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in torch.backends.quantized.supported_engines]
    torch.backends.quantized.engine = engines[0]
    with open("/proc/self/maps") as f:
        maps = f.read()
    blas = "OpenBLAS" if "openblas" in maps else "the reference BLAS" if "libblas" in maps else "unknown"
    return {"version": torch.__version__, "engines": engines, "blas": blas}


def pick_engine(hfdir, ids, info):
    """The faster of this torch's quantized engines on a few calls (they differ by machine)."""
    import torch
    times = {}
    for e in info["engines"]:
        torch.backends.quantized.engine = e
        p = TorchPeer("torch int8", hfdir, True)
        p.latency(None, ids[:2])
        times[e] = statistics.median(p.latency(None, ids[:5]))
    best = min(times, key=times.get)
    torch.backends.quantized.engine = best
    info["int8_engine"] = best
    info["int8_engine_trial_ms"] = {e: t * 1e3 for e, t in times.items()}
    print(f"  torch int8 engines, batch-1 median: " + ", ".join(f"{e} {t * 1e3:.1f} ms" for e, t in times.items())
          + f": {best}", flush=True)


# ---- measuring ------------------------------------------------------------------------------------


def flops(shape, n_tokens):
    """Multiply-adds x 2 of one text's encoder: the six products per layer and attention."""
    h, ff, layers = 768, 3072, SHAPES[shape]["layers"]
    per_layer = n_tokens * (4 * h * h + 2 * h * ff) + 2 * n_tokens * n_tokens * h
    return 2.0 * layers * per_layer


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def measure(a, shapes, lengths, peers, data):
    lat = {}
    thr = {}
    order = list(range(len(next(iter(peers.values())))))
    for r in range(a.rounds):
        for shape in shapes:
            for n in lengths:
                texts, ids = data[shape][n]
                for k in order[r % len(order):] + order[:r % len(order)]:
                    p = peers[shape][k]
                    key = (shape, p.name, n)
                    lat.setdefault(key, []).extend(p.latency(texts[:a.calls], ids[:a.calls]))
                    thr.setdefault(key, []).append(p.batch(texts[:BATCH], ids[:BATCH]))
                print(f"  round {r + 1}/{a.rounds} {shape} {n} tokens done", flush=True)
    return lat, thr


def whole_process(cmds, runs=3):
    """Each command of cmds as a whole process under GNU time, after one warm-up each, runs
    times in turn (so the machine's load falls on all alike): the medians of wall seconds and
    peak MiB per command. /usr/bin/time measures its own child, so the peak is the command's,
    not this large Python process's (Linux keeps a high-water mark across exec)."""
    samples = [[] for _ in cmds]
    for r in range(runs + 1):
        for i, cmd in enumerate(cmds):
            out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "--"] + cmd, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, timeout=600)
            if out.returncode:
                sys.exit(f"{cmd[0]} failed (exit {out.returncode}): {out.stderr[-400:]}")
            wall, kib = out.stderr.strip().splitlines()[-1].split()
            if r:
                samples[i].append((float(wall), int(kib) / 1024))
    return [{"wall_s": statistics.median(w for w, _ in s), "peak_mib": statistics.median(m for _, m in s),
             "runs": runs} for s in samples]


def one_torch_prediction(hfdir, ids):
    """The PyTorch side of the RSS comparison (a process of its own): load, predict once."""
    import torch
    torch.set_num_threads(1)
    m = hf.load_reference(hfdir)
    with torch.no_grad():
        print(m(*hf.batch_tensors(m, [ids])).tolist())


def open_ms(path, n):
    """The median time of senti.Model(path) + close(), in ms."""
    import senti
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        senti.Model(path).close()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def extras(a, shape, files, data, ort_open):
    out = {"file_mb": {k: os.path.getsize(files[k]) / 1e6 for k in ("weights", "f32", "int8", "onnx", "onnx8")}}
    out["senti_int8_open_ms"] = open_ms(files["int8"], 20)
    out["senti_f32_open_ms"] = open_ms(files["f32"], 5)
    out["ort_session_ms"] = {k: v * 1e3 for k, v in ort_open.items()}
    text, ids = data[64][0][0], data[64][1][0]
    senti_int8 = [a.senti, "predict", "--model", files["int8"], text]
    torch_one = [sys.executable, os.path.abspath(__file__), "--one-torch", files["hf"], " ".join(map(str, ids))]
    senti_f32 = [a.senti, "predict", "--model", files["f32"], text]
    i8, f32, pt = whole_process([senti_int8, senti_f32, torch_one])
    out["one_prediction"] = {"senti int8 file": i8, "senti f32 file": f32, "python + torch f32": pt}
    return out


# ---- the report -----------------------------------------------------------------------------------


def report(a, shapes, lengths, names, lat, thr, extra, info):
    rows = []
    for shape in shapes:
        for n in lengths:
            for name in names:
                key = (shape, name, n)
                bt = statistics.median(thr[key])
                rows.append({"shape": shape, "tokens": n, "peer": name, "p50_ms": pct(lat[key], 50) * 1e3,
                             "p99_ms": pct(lat[key], 99) * 1e3, "latency_samples": len(lat[key]),
                             "batch32_texts_per_s": BATCH / bt, "batch32_gflops": BATCH * flops(shape, n) / bt / 1e9,
                             "batch32_runs": len(thr[key])})
    print()
    print(f"{'model':16} {'tokens':>6} {'peer':11} {'p50 ms':>8} {'p99 ms':>8} {'texts/s @32':>12} {'GFLOP/s':>8}"
          f" {'vs ort f32':>10}")
    for r in rows:
        ref = next(x for x in rows if x["shape"] == r["shape"] and x["tokens"] == r["tokens"] and x["peer"] == "ort f32")
        print(f"{r['shape']:16} {r['tokens']:6} {r['peer']:11} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['batch32_texts_per_s']:12.1f} {r['batch32_gflops']:8.1f} "
              f"{r['batch32_texts_per_s'] / ref['batch32_texts_per_s']:9.2f}x")
    for shape in shapes:
        e = extra[shape]
        print(f"\n{shape}: files (MB) " + ", ".join(f"{k} {v:.1f}" for k, v in e["file_mb"].items())
              + f"; int8/f32 senti file {e['file_mb']['int8'] / e['file_mb']['f32']:.1%}")
        print(f"  open: senti int8 {e['senti_int8_open_ms']:.2f} ms, senti f32 {e['senti_f32_open_ms']:.2f} ms, "
              + ", ".join(f"ONNX Runtime session {k} {v:.0f} ms" for k, v in e["ort_session_ms"].items()))
        print("  one prediction, whole process (medians of 3): " + ", ".join(
            f"{k} {v['wall_s']:.2f} s, peak {v['peak_mib']:.0f} MiB" for k, v in e["one_prediction"].items()))
    print(f"\ntorch {info['torch']['version']}: BLAS {info['torch']['blas']}, int8 engine "
          f"{info['torch']['int8_engine']} (trial: {info['torch']['int8_engine_trial_ms']}); {a.threads} threads; "
          f"{info['cpu']}; load average at start {info['load_start']}, at end {info['load_end']}")
    with open(os.path.join(a.out, "transformer.json"), "w") as f:
        json.dump({"rows": rows, "extras": extra, "info": info, "command": info["command"]}, f, indent=1)
    print(f"JSON: {os.path.join(a.out, 'transformer.json')}")


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip() + f", {os.cpu_count()} cores"
    return "unknown CPU"


def check_agree(shape, peers, data):
    """The f32 peers give the same logits on a few texts (senti's labels are its names; the
    values come in label order); the int8 peers' distance from them is printed."""
    n = min(data)
    texts, ids = data[n][0][:8], data[n][1][:8]
    got = {p.name: p.logits(texts, ids) for p in peers}
    ref = got["torch f32"]
    spread = statistics.pstdev([x for r in ref for x in r])
    for name, l in got.items():
        d = max(abs(x - y) for r1, r2 in zip(ref, l) for x, y in zip(r1, r2))
        print(f"  {shape}: {name} vs torch f32: max |logit difference| {d:.2e} (spread {spread:.2e})")
        if d > 1e-3 and name.endswith("f32"):
            raise SystemExit(f"{shape}: {name} disagrees with torch f32 ({d})")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--one-torch":
        return one_torch_prediction(sys.argv[2], [int(x) for x in sys.argv[3].split()])
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="build/bench/transformer")
    p.add_argument("--senti", default="build/senti")
    p.add_argument("--tokenize", default="build/test-tokenize")
    p.add_argument("--data", default=os.environ.get("DATA", "../shared/data"))
    p.add_argument("--shapes", default="distilbert-base,bert-base")
    p.add_argument("--lengths", default="16,64,128")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="distilbert-base, 16 and 64 tokens, 1 round of 5 calls")
    a = p.parse_args()
    if a.quick:
        a.shapes, a.lengths, a.rounds, a.calls = "distilbert-base", "16,64", 1, 5
    shapes, lengths = a.shapes.split(","), [int(x) for x in a.lengths.split(",")]
    os.makedirs(a.out, exist_ok=True)
    info = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpu": cpu_name(), "load_start": os.getloadavg()[0], "torch": torch_setup(a.threads)}
    peers, data, extra, ort_open = {}, {}, {}, {}
    for shape in shapes:
        files = prepare(a, shape)
        data[shape] = {n: texts_of(a, files["hf"], n, max(BATCH, a.calls)) for n in lengths}
        if "int8_engine" not in info["torch"]:
            pick_engine(files["hf"], data[shape][lengths[-1]][1], info["torch"])
        peers[shape] = [SentiPeer("senti f32", files["f32"], a.threads), SentiPeer("senti int8", files["int8"], a.threads),
                        TorchPeer("torch f32", files["hf"], False), TorchPeer("torch int8", files["hf"], True),
                        OrtPeer("ort f32", files["onnx"], a.threads), OrtPeer("ort int8", files["onnx8"], a.threads)]
        ort_open[shape] = {"f32": peers[shape][4].open_seconds, "int8": peers[shape][5].open_seconds}
        check_agree(shape, peers[shape], data[shape])
        for q in peers[shape]:  # warm-up
            q.latency(*[x[:2] for x in data[shape][lengths[0]]])
        extra[shape] = extras(a, shape, files, data[shape] if 64 in data[shape] else
                              {64: data[shape][lengths[-1]]}, ort_open[shape])
    lat, thr = measure(a, shapes, lengths, peers, data)
    info["load_end"] = os.getloadavg()[0]
    report(a, shapes, lengths, [q.name for q in peers[shapes[0]]], lat, thr, extra, info)


if __name__ == "__main__":
    main()
