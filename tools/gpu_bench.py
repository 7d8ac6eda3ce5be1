#!/usr/bin/python3
"""Times the exported TinyDiT (TorchScript) the way the Java toolkit drives it: chunks, batched GRPO rollouts, budgets.

The GPU machine this project is lent has Python and a recent PyTorch but no Java, and DJL 0.36 needs libtorch 2.7.1,
so the Java path cannot run there. This script runs the shipped model's TorchScript export (data/external/tinydit-ts.pt,
bit-identical to the Java TinyDiT, docs/external-models.md) with the procedure of the Java ChunkGenerator:

  chunk    gather the kept context from a cache, encode the prompt, `denoiseSteps` Euler steps from t = 1 to 0 that all
           attend to that context, clamp, read the chunk to the host, one clean pass at t = 0 returning its keys and
           values (ChunkGenerator.generate; guidance 1, so one row). The cache append is Java bookkeeping, not timed.
  rollout  a GRPO group of G members in one batch: member g attends to its own kept history tokens plus the group's new
           chunks, every member gets the same noise (ChunkGenerator.rollout, rolloutChunks chunks, GrpoConfig.DEFAULT).
           G = 1 is one rollout; the ratio G / 1 is the "batched group costs <= 3x one rollout" figure.
  fit      the largest kept-token budget K whose batched rollout fits in memory: K doubles until torch runs out of memory
           (or --max-k is reached).

Context keys and values are random tensors of the right shapes ([1, H, history, hd] per layer, a "cache"), gathered
with random indices: attention costs the same for any values. Before timing, a check runs the batched rollout against
one-member rollouts of the same contexts (members of a batch must equal their own batch-1 run) and the script exits 1
if it fails. Prints a table and writes every figure with its provenance to --out (JSON).

    /usr/bin/python3 tools/gpu_bench.py --device cpu --quick           # the check and a short run on this machine
    python3 tools/gpu_bench.py --out gpu-bench.json                    # on a GPU (cuda when there is one)
    python3 tools/gpu_bench.py --large --out gpu-bench-large.json      # ModelConfig.LARGE, random weights

Runs on torch 1.13 (Debian's python3-torch) and torch 2.x with CUDA. tools/gpu-check.sh is the one-command GPU session.
"""

import argparse
import datetime
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import List, Optional, Tuple

try:
    import torch
    from torch import Tensor
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("gpu_bench.py needs PyTorch: apt-get install -y python3-torch libopenblas0-pthread, then run it with "
             "/usr/bin/python3 (or any python3 with torch)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORMAT = "inflvg-gpu-bench-1"
GRPO_ROLLOUT_CHUNKS = 2          # GrpoConfig.DEFAULT.rolloutChunks (toolkit/.../grpo/GrpoConfig.java)
GRPO_GROUP = 8                   # GrpoConfig.DEFAULT.groupSize, the host files' batch.group
SCENES = 9                       # the longest story the model is trained for (CsVBench.MAX_SCENES)
VOCABULARY = 38                  # the shipped vocabulary's 37 words + padding (data/external/tinydit-ts.json)
# ModelConfig.LARGE, read from ModelConfig.java when the checkout has it (see large_config); this copy is the fallback
LARGE = dict(frameSize=64, patch=4, chunkFrames=2, chunksPerScene=6, dim=256, depth=8, heads=8, textLayers=2,
             textLength=8, maxFrames=120, denoiseSteps=4, guidance=1.0, convChannels=0)
CONFIG_FIELDS = ["frameSize", "patch", "chunkFrames", "chunksPerScene", "dim", "depth", "heads", "textLayers",
                 "textLength", "maxFrames", "denoiseSteps", "guidance", "convChannels"]


# ---------------------------------------------------------------------------------------------------- the model

class Model:
    """A module of the tensor contract (encode_text, forward) on a device, with the sizes the procedures need."""

    def __init__(self, module, cfg: dict, device: torch.device, provenance: dict):
        self.m, self.cfg, self.device, self.provenance = module, cfg, device, provenance
        g = cfg["frameSize"] // cfg["patch"]
        self.N = g * g * cfg["chunkFrames"]                  # tokens per chunk
        self.P = cfg["patch"] ** 2 * 3                       # values per token
        self.D, self.H = cfg["depth"], cfg["heads"]
        self.hd = cfg["dim"] // cfg["heads"]
        self.L = cfg["textLength"]
        self.steps = cfg["denoiseSteps"]
        self.F = cfg["chunkFrames"]
        if abs(cfg.get("guidance", 1.0) - 1.0) > 1e-9:
            sys.exit(f"guidance {cfg['guidance']} != 1: classifier-free guidance (two rows per chunk) is not mirrored "
                     "here; the shipped and LARGE configurations use 1")

    def full_history(self) -> int:
        """Kept tokens of the last chunk of a SCENES-scene story under full context: every earlier chunk."""
        return (SCENES * self.cfg["chunksPerScene"] - 1) * self.N

    def frame_of(self, history: int) -> int:
        """The first frame of the chunk that follows `history` tokens (clamped to the model's frames)."""
        return min((history // self.N) * self.F, self.cfg["maxFrames"] - self.F)

    def text(self, S: int = 1) -> Tuple[Tensor, Tensor]:
        ids = torch.zeros(S, self.L, dtype=torch.int64)
        ids[:, :3] = torch.tensor([1, 24, 16])               # "a robot jumps" (any words time the same)
        return self.m.encode_text(ids.to(self.device))       # [S, L, d], [S, d]


def load_export(path: str, device: torch.device, eager: bool = False) -> Model:
    """The TorchScript export and the JSON beside it (config, SHA-256); falls back to an eager module if it won't load."""
    side = path[:-3] + ".json" if path.endswith(".pt") else path + ".json"
    if not os.path.isfile(path) or not os.path.isfile(side):
        sys.exit(f"{path} or {side} is missing: --model must be a TorchScript export with its JSON beside it "
                 "(make one with /usr/bin/python3 tools/export_tinydit.py)")
    with open(side) as f:
        meta = json.load(f)
    sha = sha256(path)
    prov = {"kind": "torchscript", "file": os.path.relpath(path, ROOT), "sha256": sha,
            "sha256_matches_json": sha == meta.get("sha256"), "exported_with_torch": meta.get("torch"),
            "source": meta.get("source"), "weights": "trained (the shipped TinyDiT)",
            "dtype": meta.get("dtype", "float32")}
    if sha != meta.get("sha256"):
        print(f"warning: {path} does not match the SHA-256 in {side} (re-exported without its JSON?)", file=sys.stderr)
    folder = os.path.join(ROOT, (meta.get("source") or {}).get("model", "data/tinydit"))
    if eager:
        prov["kind"] = "eager (--eager: export_tinydit.TinyDiTModule from " + os.path.relpath(folder, ROOT) + ")"
        return Model(eager_from_folder(folder, device), meta["config"], device, prov)
    try:
        module = torch.jit.load(path, map_location=device).eval()
    except Exception as e:  # a torch that cannot read the archive: run the same module eagerly from the weights
        print(f"warning: torch.jit.load({path}) failed ({type(e).__name__}: {str(e)[:200]}); running the module "
              "eagerly from data/tinydit/model.bin instead", file=sys.stderr)
        module = eager_from_folder(folder, device)
        prov["kind"] = "eager (torch.jit.load failed: " + f"{type(e).__name__}: {str(e)[:200]})"
    return Model(module, meta["config"], device, prov)


def export_module():
    """tools/export_tinydit.py, the re-implementation of TinyDiT the export is made from."""
    sys.path.insert(0, HERE)
    import export_tinydit
    return export_tinydit


def eager_from_folder(folder: str, device: torch.device):
    ex = export_module()
    with open(os.path.join(folder, "config.json")) as f:
        meta = json.load(f)
    W = ex.read_weights(os.path.join(folder, "model.bin"))
    return ex.TinyDiTModule(meta["config"], len(meta["vocabulary"]) + 1, W).eval().to(device)


def large_config() -> Tuple[dict, str]:
    """ModelConfig.LARGE as ModelConfig.java declares it (falls back to this file's copy without the Java source)."""
    java = os.path.join(ROOT, "toolkit/src/main/java/org/inflvg/model/ModelConfig.java")
    try:
        with open(java) as f:
            m = re.search(r"LARGE\s*=\s*new ModelConfig\(([^)]*)\)", f.read())
        vals = [v.strip() for v in m.group(1).split(",")]
        if len(vals) not in (len(CONFIG_FIELDS) - 1, len(CONFIG_FIELDS)):     # convChannels may be left out (0)
            raise ValueError(f"{len(vals)} arguments")
        cfg = {k: (float(v) if k == "guidance" else int(v)) for k, v in zip(CONFIG_FIELDS, vals)}
        cfg.setdefault("convChannels", 0)
        return cfg, "ModelConfig.java"
    except (OSError, AttributeError, ValueError) as e:
        print(f"warning: could not read ModelConfig.LARGE from {java} ({e}); using this script's copy", file=sys.stderr)
        return dict(LARGE), "gpu_bench.py's copy of ModelConfig.LARGE"


def random_large(device: torch.device, seed: int) -> Model:
    """TinyDiT of ModelConfig.LARGE with random weights (none are trained): export_tinydit's module, scripted here."""
    cfg, where = large_config()
    d, p, L = cfg["dim"], cfg["patch"] ** 2 * 3, cfg["textLength"]
    gen = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    W = {}

    def linear(name, i, o):                               # random, not TinyDiT's zero init: never time on zeros
        W[name + ".w"], W[name + ".b"] = normal(i, o, std=1 / math.sqrt(i)), normal(o, std=0.02)

    def affine(name):
        W[name + ".g"], W[name + ".b"] = torch.ones(d), torch.zeros(d)

    linear("patch_in", p, d)                              # the names and shapes of TinyDiT.initialise
    W["frame_pos"] = normal(cfg["maxFrames"], d, std=0.02)
    linear("t1", d, d)
    linear("t2", d, d)
    W["text.emb"], W["text.pos"] = normal(VOCABULARY, d, std=0.3), normal(L, d, std=0.02)
    for layer in range(cfg["textLayers"]):
        n = f"text.{layer}."
        affine(n + "ln1"), linear(n + "qkv", d, 3 * d), linear(n + "o", d, d)
        affine(n + "ln2"), linear(n + "ff1", d, 4 * d), linear(n + "ff2", 4 * d, d)
    affine("text.ln")
    linear("text.pool", d, d)
    for b in range(cfg["depth"]):
        n = f"block.{b}."
        linear(n + "mod", d, 6 * d), linear(n + "qkv", d, 3 * d), linear(n + "o", d, d), affine(n + "lnx")
        linear(n + "xq", d, d), linear(n + "xkv", d, 2 * d), linear(n + "xo", d, d)
        linear(n + "ff1", d, 4 * d), linear(n + "ff2", 4 * d, d)
    linear("final.mod", d, 2 * d)
    linear("final.out", d, p)
    c, pp = cfg["convChannels"], cfg["patch"] ** 2
    if c > 0:                                             # the convolutional stem and head (ModelConfig.convChannels)
        W["stem.conv.w"], W["stem.conv.b"] = normal(c, 3, 3, 3, std=1 / math.sqrt(27)), normal(c, std=0.02)
        linear("stem_in", pp * c, d)
        linear("final.feat", d, pp * c)
        W["head.conv.w"], W["head.conv.b"] = normal(3, c, 3, 3, std=1 / math.sqrt(9 * c)), normal(3, std=0.02)
    params = sum(w.numel() for w in W.values())
    ex = export_module()
    with torch.no_grad():
        module = ex.TinyDiTModule(cfg, VOCABULARY, W).eval()
        try:
            module, kind = torch.jit.script(module), "torchscript (export_tinydit.TinyDiTModule, scripted in memory)"
        except Exception as e:  # a torch without TorchScript: eager
            kind = f"eager (torch.jit.script failed: {type(e).__name__})"
    prov = {"kind": kind, "config_from": where, "parameters": params, "dtype": "float32", "weights": f"random (seed {seed}); "
            "ModelConfig.LARGE is untrained, and timings do not depend on the weights' values"}
    return Model(module.to(device), cfg, device, prov)


def sha256(path: str) -> str:
    return export_module().sha256(path)


# ---------------------------------------------------------------------------------------------------- the procedures

def random_cache(model: Model, history: int, gen: torch.Generator) -> List[Tuple[Tensor, Tensor]]:
    """Keys and values of `history` finished tokens per layer, [1, H, history, hd] each, like KvCache's storage."""
    shape = (1, model.H, history, model.hd)
    return [(randn(model, gen, *shape), randn(model, gen, *shape)) for _ in range(model.D)]


def generator(model: Model, seed: int) -> torch.Generator:
    """Random inputs are drawn on the model's device: a CPU-drawn cache of millions of tokens would take minutes."""
    return torch.Generator(device=model.device).manual_seed(seed)


def randn(model: Model, gen: torch.Generator, *shape) -> Tensor:
    return torch.randn(shape, generator=gen, device=model.device)


def randperm(model: Model, gen: torch.Generator, n: int) -> Tensor:
    return torch.randperm(n, generator=gen, device=model.device)


def gather(cache, keep: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
    """KvCache.gatherBatch: keep [G, K] token indices -> per layer keys and values [G, H, K, hd], contiguous."""
    G, K = keep.shape
    if K == 0:
        return [], []
    flat = keep.reshape(-1)                                                           # [G*K]
    keys, values = [], []
    for k, v in cache:
        H, hd = k.shape[1], k.shape[3]
        keys.append(k[0][:, flat].reshape(H, G, K, hd).permute(1, 0, 2, 3).contiguous())      # [G, H, K, hd]
        values.append(v[0][:, flat].reshape(H, G, K, hd).permute(1, 0, 2, 3).contiguous())
    return keys, values


def euler(model: Model, x: Tensor, frame: int, text: Tuple[Tensor, Tensor], ck, cv) -> Tensor:
    """denoiseSteps Euler steps of the flow from t = 1 to 0, every one attending to the same context; then clamp."""
    S, steps = x.shape[0], model.steps
    for s in range(steps):
        t, t_next = 1.0 - s / steps, 1.0 - (s + 1) / steps
        ts = torch.full((S,), t, dtype=torch.float32, device=model.device)
        v = model.m(x, ts, frame, text[0], text[1], ck, cv, False)[0]                 # [S, N, P] velocity
        x = v * (t_next - t) + x                                                       # x + (t' - t) v
    return x.clamp(-1.0, 1.0)


def chunk(model: Model, cache, keep: Tensor, frame: int, noise: Tensor) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
    """ChunkGenerator.generate (guidance 1): gather, text, Euler steps, the chunk to the host, clean pass at t = 0."""
    ck, cv = gather(cache, keep.unsqueeze(0))                                         # [1, H, M, hd] per layer
    text = model.text(1)
    x = euler(model, noise.clone(), frame, text, ck, cv)                               # [1, N, P]
    pixels = x.cpu()                                                                   # Java reads it once per chunk
    _, keys, values, _ = model.m(x, torch.zeros(1, device=model.device), frame, text[0], text[1], ck, cv, True)
    return pixels, keys, values


def rollout(model: Model, cache, keep: Tensor, frame: int, chunks: int, noises: List[Tensor]) -> Tensor:
    """ChunkGenerator.rollout: G members (keep [G, K]) in one batch, same noise, each its own context + new chunks."""
    G = keep.shape[0]
    hist_k, hist_v = gather(cache, keep)                                              # [G, H, K, hd] per layer
    t1, p1 = model.text(1)
    text = (t1.repeat(G, 1, 1), p1.repeat(G, 1))             # materialised for the group, as the Java rollout does
    own_k: List[Tensor] = []
    own_v: List[Tensor] = []
    out = []
    for c in range(chunks):
        ck = [torch.cat([a, b], 2) for a, b in zip(hist_k, own_k)] if hist_k and own_k else (own_k or hist_k)
        cv = [torch.cat([a, b], 2) for a, b in zip(hist_v, own_v)] if hist_v and own_v else (own_v or hist_v)
        x = noises[c].expand(G, model.N, model.P).contiguous()                         # [G, N, P], same noise
        f = frame + c * model.F
        x = euler(model, x, f, text, ck, cv)
        out.append(x.cpu())                                                            # once per chunk
        if c + 1 < chunks:                                   # the clean pass: the chunk joins the members' context
            _, k, v, _ = model.m(x, torch.zeros(G, device=model.device), f, text[0], text[1], ck, cv, True)
            own_k = [torch.cat([a, b], 2) for a, b in zip(own_k, k)] if own_k else list(k)
            own_v = [torch.cat([a, b], 2) for a, b in zip(own_v, v)] if own_v else list(v)
    return torch.cat(out, 1)                                                           # [G, chunks*N, P]


# ---------------------------------------------------------------------------------------------------- timing

def sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device: torch.device, fn) -> float:
    """Milliseconds of fn(): CUDA events between two synchronisations on a GPU, the wall clock on the CPU."""
    if device.type == "cuda":
        sync(device)
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        sync(device)
        return a.elapsed_time(b)
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def measure(device, fn, warmup: int, repeats: int) -> dict:
    """Median, min and max ms of `repeats` calls after `warmup` calls (TorchScript profiles and optimises the first)."""
    for _ in range(warmup):
        fn()
    ms = [timed(device, fn) for _ in range(repeats)]
    return {"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms), "repeats": repeats,
            "warmup": warmup}


def is_oom(e: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)          # torch >= 1.13; older ones say so in the message
    return (oom is not None and isinstance(e, oom)) or "out of memory" in str(e) or "can't allocate memory" in str(e)


def free(device):
    gc.collect()
    if device.type == "cuda":
        try:
            torch.cuda.empty_cache()
        except RuntimeError as e:  # a sticky CUDA error after a failed kernel: keep going, the record says what failed
            print(f"warning: torch.cuda.empty_cache failed ({str(e).splitlines()[0][:200]})", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------- the parts

def check_batching(model: Model, frame: int, chunks: int, G: int, K: int, tol: float, seed: int) -> dict:
    """Batch-G rollouts against batch-1 rollouts: members with identical contexts, and members with their own."""
    gen = generator(model, seed)
    history = 4 * K
    cache = random_cache(model, history, gen)
    noises = [randn(model, gen, 1, model.N, model.P) for _ in range(chunks)]
    own = torch.stack([randperm(model, gen, history)[:K] for _ in range(G)])                # [G, K]
    one = rollout(model, cache, own[:1], frame, chunks, noises)                     # [1, chunks*N, P]
    same = rollout(model, cache, own[:1].expand(G, K), frame, chunks, noises)       # G identical members
    each = rollout(model, cache, own, frame, chunks, noises)                        # G members, own contexts
    last = rollout(model, cache, own[G - 1:], frame, chunks, noises)
    identical = (same - one).abs().max().item()
    member0, member_last = (each[:1] - one).abs().max().item(), (each[G - 1:] - last).abs().max().item()
    spread = (each[0] - each[G - 1]).abs().max().item()           # members with other contexts must differ
    passed = max(identical, member0, member_last) <= tol and spread > tol
    return {"passed": passed, "tolerance": tol, "G": G, "K": K, "chunks": chunks,
            "max_abs_diff_identical_members_vs_batch1": identical,
            "max_abs_diff_member0_vs_batch1": member0, "max_abs_diff_last_member_vs_batch1": member_last,
            "max_abs_diff_between_members_with_other_contexts": spread}


def bench_chunks(model: Model, contexts: List[int], warmup: int, repeats: int, seed: int) -> list:
    gen = generator(model, seed)
    rows = []
    for M in contexts:
        history = max(M, 1)
        cache = random_cache(model, history, gen)
        keep = randperm(model, gen, history)[:M]                                      # [M] kept token indices
        noise = randn(model, gen, 1, model.N, model.P)
        frame = model.frame_of(M)
        r = measure(model.device, lambda: chunk(model, cache, keep, frame, noise), warmup, repeats)
        rows.append({"context_tokens": M, "frame": frame, **r})
        print(f"  chunk, {M:6d} kept tokens: {r['median_ms']:9.2f} ms (min {r['min_ms']:.2f})", flush=True)
        del cache
        free(model.device)
    return rows


def bench_rollouts(model: Model, ks: List[int], G: int, chunks: int, frame: int, warmup: int, repeats: int,
                   seed: int) -> list:
    gen = generator(model, seed)
    rows = []
    for K in ks:
        history = max(2 * K, model.N * model.cfg["chunksPerScene"])   # the story so far holds at least the K kept
        cache = random_cache(model, history, gen)
        keep = torch.stack([randperm(model, gen, history)[:K] for _ in range(G)])      # [G, K]
        noises = [randn(model, gen, 1, model.N, model.P) for _ in range(chunks)]
        one = measure(model.device, lambda: rollout(model, cache, keep[:1], frame, chunks, noises), warmup, repeats)
        group = measure(model.device, lambda: rollout(model, cache, keep, frame, chunks, noises), warmup, repeats)
        ratio = group["median_ms"] / one["median_ms"]
        rows.append({"K": K, "G": G, "chunks": chunks, "history": history, "frame": frame, "one": one,
                     "group": group, "ratio": ratio, "at_most_3x": ratio <= 3.0})
        print(f"  rollout of {chunks} chunks, K {K:5d}: 1 member {one['median_ms']:9.2f} ms, {G} batched "
              f"{group['median_ms']:9.2f} ms ({ratio:.2f}x)", flush=True)
        del cache
        free(model.device)
    return rows


def fit_budget(model: Model, G: int, chunks: int, frame: int, start: int, max_k: int, budget_s: float,
               seed: int, progress=lambda partial: None) -> dict:
    """Doubles K from `start` while a batched G-member rollout fits; each K: one rollout (fits?), one more timed.

    Stops at the first out-of-memory error, at --max-k, when the next K would not finish within `budget_s` (a step
    costs about twice the last), or at any other error (recorded, not raised: the figures before it are kept).
    `progress` gets the result so far after every K."""
    gen = generator(model, seed)
    tried, largest, stopped = [], None, f"--max-k {max_k} reached"
    t0 = time.perf_counter()

    def result():
        return {"G": G, "chunks": chunks, "largest_K_that_fits": largest, "stopped": stopped, "max_k": max_k,
                "seconds": time.perf_counter() - t0, "tried": tried,
                "note": "K doubles: when stopped by out of memory, the limit lies between the largest K that fits and "
                        "twice it"}

    K = start
    while K <= max_k:
        cache = keep = noises = None
        t_step = time.perf_counter()
        try:
            cache = random_cache(model, K, gen)                  # the history holds exactly the K kept tokens
            keep = torch.stack([randperm(model, gen, K) for _ in range(G)])           # [G, K]
            noises = [randn(model, gen, 1, model.N, model.P) for _ in range(chunks)]
            if model.device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(model.device)
            rollout(model, cache, keep, frame, chunks, noises)
            ms = timed(model.device, lambda: rollout(model, cache, keep, frame, chunks, noises))
            peak = torch.cuda.max_memory_allocated(model.device) if model.device.type == "cuda" else None
            tried.append({"K": K, "fits": True, "ms": ms, "peak_bytes": peak})
            largest = K
            print(f"  fit, K {K:8d}: fits, rollout {ms:10.1f} ms"
                  + (f", peak {peak / 2**30:.1f} GiB" if peak else ""), flush=True)
        except Exception as e:  # noqa: BLE001 - an OOM inside TorchScript comes as a torch.jit error
            oom = is_oom(e)
            text = str(e).splitlines()
            lines = [x.strip() for x in text if "memory" in x] or [x.strip() for x in text if "rror" in x] or [""]
            tried.append({"K": K, "fits": False, "out_of_memory": oom,
                          "error": f"{type(e).__name__}: {lines[0][:300]}"})
            stopped = f"out of memory at K {K}" if oom else f"error (not out of memory) at K {K}: {lines[0][:200]}"
            print(f"  fit, K {K:8d}: {'out of memory' if oom else 'ERROR ' + lines[0][:200]}", flush=True)
            break
        finally:
            del cache, keep, noises
            free(model.device)
            progress(result())
        step_s, spent = time.perf_counter() - t_step, time.perf_counter() - t0
        if 2 * K <= max_k and spent + 2.5 * step_s > budget_s:
            stopped = f"time budget: K {2 * K} would take ~{2.5 * step_s:.0f} s, {budget_s - spent:.0f} s of " \
                      f"--fit-seconds {budget_s:g} left"
            break
        K *= 2
    return result()


# ---------------------------------------------------------------------------------------------------- main

def provenance(device: torch.device, args, argv) -> dict:
    p = {"format": FORMAT, "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
         "command": "tools/gpu_bench.py " + " ".join(argv), "torch": torch.__version__,
         "python": platform.python_version(), "host": platform.node(), "device": str(device),
         "threads": torch.get_num_threads(), "seed": args.seed, "git_commit": git_commit()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        p.update({"device_name": props.name, "device_memory_bytes": props.total_memory,
                  "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                  "tf32_matmul": torch.backends.cuda.matmul.allow_tf32})
    else:
        p.update({"device_name": cpu_name()})
    return p


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> Optional[str]:
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None                                  # the device machine's copy of the tree has no .git


def ints(s: str, name: str, full: Optional[int] = None) -> List[int]:
    try:
        return [full if (v.strip() == "full" and full is not None) else int(v) for v in s.split(",")]
    except ValueError:
        sys.exit(f"{name} must be comma-separated integers" + (" or 'full'" if full is not None else "")
                 + f", got '{s}'")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="Docs: docs/gpu-host.md, section 6.")
    p.add_argument("--model", default=os.path.join(ROOT, "data/external/tinydit-ts.pt"),
                   help="TorchScript export with its .json beside it (default: the shipped tiny model)")
    p.add_argument("--large", action="store_true", help="ModelConfig.LARGE with random weights instead of --model")
    p.add_argument("--eager", action="store_true", help="run the module the export is made from "
                   "(tools/export_tinydit.py) eagerly from the model folder instead of the TorchScript file (what "
                   "happens by itself when torch.jit.load fails)")
    p.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when torch sees a GPU, else cpu")
    p.add_argument("--quick", action="store_true", help="1 warm-up, 3 repeats, fit search up to K 512: a check that fits ~2 min "
                   "on one CPU core")
    p.add_argument("--warmup", type=int, help="calls before timing each figure (default 3; --quick 1)")
    p.add_argument("--repeats", type=int, help="timed calls per figure, median reported (default 20 on cuda, 5 on "
                   "cpu; --quick 3)")
    p.add_argument("--contexts", default="0,256,1024,full", help="kept context tokens per chunk; 'full' = the whole "
                   "history of the last chunk of a 9-scene story (default %(default)s)")
    p.add_argument("--rollout-k", default="128,256", help="kept history tokens per member (default %(default)s)")
    p.add_argument("--group", type=int, default=GRPO_GROUP, help="G, members per batched rollout (default %(default)s)")
    p.add_argument("--rollout-chunks", type=int, default=GRPO_ROLLOUT_CHUNKS,
                   help="chunks per rollout (default %(default)s, GrpoConfig.DEFAULT)")
    p.add_argument("--max-k", type=int, help="largest K the fit search tries (default 2^24 on cuda, 2048 on cpu; "
                   "--quick: 512)")
    p.add_argument("--fit-seconds", type=float, default=90, help="time budget of the fit search: it stops before a K "
                   "that would overrun it (default %(default)s)")
    p.add_argument("--no-fit", action="store_true", help="skip the fit search")
    p.add_argument("--tolerance", type=float, help="max abs difference allowed between a batched member and its "
                   "batch-1 rollout (outputs in [-1, 1]; default 1e-4, for a bfloat16 export 1e-1: its 8-bit "
                   "mantissa may round differently when a kernel changes with the batch size)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default %(default)s; the GPU run ignores it)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="JSON file for every figure and its provenance")
    args = p.parse_args(argv)

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda, but torch sees no GPU (torch " + torch.__version__ + "); use --device cpu")
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    if args.group < 2:
        sys.exit(f"--group must be at least 2 (a group is what is batched), got {args.group}")
    if args.rollout_chunks < 1:
        sys.exit(f"--rollout-chunks must be at least 1, got {args.rollout_chunks}")
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else (20 if device.type == "cuda" else 5))
    max_k = args.max_k if args.max_k is not None else (512 if args.quick else (1 << 24 if device.type == "cuda"
                                                                              else 2048))
    if repeats < 1 or warmup < 0:
        sys.exit(f"--repeats must be >= 1 and --warmup >= 0, got {repeats} and {warmup}")

    torch.manual_seed(args.seed)
    t_start = time.perf_counter()
    with torch.inference_mode():        # DJL runs TorchScript under inference mode too (JITCallGuard)
        model = random_large(device, args.seed) if args.large else load_export(args.model, device, args.eager)
        contexts = ints(args.contexts, "--contexts", model.full_history())
        ks = ints(args.rollout_k, "--rollout-k")
        if any(c < 0 for c in contexts) or any(k < 1 for k in ks):
            sys.exit(f"--contexts must be >= 0 and --rollout-k >= 1, got {contexts} and {ks}")
        frame = model.cfg["chunkFrames"] * model.cfg["chunksPerScene"]     # GRPO at the scene-2 transition
        record = {**provenance(device, args, argv), "model": {**model.provenance, "config": model.cfg},
                  "settings": {"warmup": warmup, "repeats": repeats, "quick": args.quick, "group": args.group,
                               "rollout_chunks": args.rollout_chunks, "full_history": model.full_history(),
                               "context": "random keys and values of the right shapes, gathered with random indices"}}
        name = "large (random weights)" if args.large else os.path.basename(args.model)
        name += f", {model.provenance['dtype']}"
        print(f"gpu_bench: {name} on {record['device_name']} ({device}), torch {torch.__version__}; "
              f"warm-up {warmup}, median of {repeats}", flush=True)

        print("check: batched members against their batch-1 rollouts", flush=True)
        tol = args.tolerance if args.tolerance is not None else (1e-1 if model.provenance["dtype"] == "bfloat16"
                                                                  else 1e-4)
        check = check_batching(model, frame, args.rollout_chunks, args.group, 64, tol, args.seed)
        record["check"] = check
        save(record, args.out)
        print(f"  {'passed' if check['passed'] else 'FAILED'}: identical members "
              f"{check['max_abs_diff_identical_members_vs_batch1']:.2e}, own contexts "
              f"{max(check['max_abs_diff_member0_vs_batch1'], check['max_abs_diff_last_member_vs_batch1']):.2e} "
              f"(tolerance {tol:g}); members with other contexts differ by "
              f"{check['max_abs_diff_between_members_with_other_contexts']:.2e}", flush=True)

        print("ms per chunk (batch 1)", flush=True)
        record["chunks"] = bench_chunks(model, contexts, warmup, repeats, args.seed + 1)
        save(record, args.out)
        print(f"GRPO rollouts (G {args.group}, same noise, own contexts)", flush=True)
        record["rollouts"] = bench_rollouts(model, ks, args.group, args.rollout_chunks, frame, warmup, repeats,
                                            args.seed + 2)
        save(record, args.out)
        if not args.no_fit:
            print(f"largest K that fits (G {args.group}, doubling up to {max_k})", flush=True)
            record["fit"] = fit_budget(model, args.group, args.rollout_chunks, frame, max(ks), max_k,
                                       args.fit_seconds, args.seed + 3,
                                       lambda partial: save({**record, "fit": partial}, args.out))
    record["seconds"] = time.perf_counter() - t_start        # (the fit search records each K's peak memory)

    record["complete"] = True
    print_table(record)
    if args.out:
        save(record, args.out)
        print(f"wrote {args.out}")
    if not check["passed"]:
        print("FAILED: a batched member differs from its own batch-1 rollout (or members with other contexts do not "
              "differ): the batching is wrong, so the rollout figures are not trustworthy", file=sys.stderr)
        return 1
    return 0


def save(record: dict, out: Optional[str]):
    """Writes the record so far ("complete": false until the end): a run cut off by a timeout keeps what it measured."""
    if not out:
        return
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump({"complete": False, **record}, f, indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)


def print_table(r: dict):
    cfg = r["model"]["config"]
    print(f"\n{r['device_name']} | torch {r['torch']} | {cfg['frameSize']}px d{cfg['dim']} x{cfg['depth']} "
          f"conv {cfg.get('convChannels', 0)} ({r['model']['kind'].split(' ')[0]}, {r['model']['dtype']}, "
          f"{r['model']['weights'].split(' ')[0]} weights) | "
          f"{r['seconds']:.0f} s in all")
    print(f"{'what':44s} {'median ms':>11s} {'min ms':>10s}")
    for c in r["chunks"]:
        print(f"{'chunk, ' + str(c['context_tokens']) + ' kept tokens':44s} {c['median_ms']:11.2f} {c['min_ms']:10.2f}")
    for ro in r["rollouts"]:
        print(f"{'rollout K ' + str(ro['K']) + ', 1 member':44s} {ro['one']['median_ms']:11.2f} "
              f"{ro['one']['min_ms']:10.2f}")
        print(f"{'rollout K ' + str(ro['K']) + ', ' + str(ro['G']) + ' batched':44s} {ro['group']['median_ms']:11.2f} "
              f"{ro['group']['min_ms']:10.2f}   {ro['ratio']:.2f}x {'(<= 3x)' if ro['at_most_3x'] else '(> 3x)'}")
    if "fit" in r:
        f = r["fit"]
        print(f"largest K that fits at G {f['G']}: {f['largest_K_that_fits']} ({f['stopped']})")
    print(f"batching check: {'passed' if r['check']['passed'] else 'FAILED'}")


if __name__ == "__main__":
    sys.exit(main())
