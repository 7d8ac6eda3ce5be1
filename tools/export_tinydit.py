#!/usr/bin/python3
"""Exports a TinyDiT model folder (data/tinydit: config.json + model.bin) as a TorchScript module.

The module implements the tensor contract of docs/external-models.md (encode_text, forward, key_projection) by
re-implementing TinyDiT's forward pass (toolkit/src/main/java/org/inflvg/model/TinyDiT.java) op for op, in the same
order and with the same constants, so that the Java side (model.TorchScriptVideoModel, run by DJL's libtorch) gives the
same numbers as the native TinyDiT. Writes OUT (a .pt file) and OUT with .json instead of .pt (its SHA-256, the source
model's checksum, config and vocabulary, the torch version, the command that made it).

    /usr/bin/python3 tools/export_tinydit.py                 # data/tinydit -> data/external/tinydit-ts.pt
    /usr/bin/python3 tools/export_tinydit.py --model DIR --out FILE.pt
    /usr/bin/python3 tools/export_tinydit.py --dtype bfloat16    # -> data/external/tinydit-ts-bf16.pt (Bfloat16Module)

Needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread (without openblas-pthread it is ~20x
slower). Re-run it whenever the model folder changes (e.g. data/tinydit is retrained): the JSON records the SHA-256 of the
model.bin it was exported from, and the Java equivalence test fails, naming this command, when they differ.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import struct
import sys
from typing import List, Tuple

try:
    import numpy
    import torch
    import torch.nn.functional as F
    from torch import Tensor, nn
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("export_tinydit.py needs PyTorch: apt-get install -y python3-torch libopenblas0-pthread, then run it with "
             "/usr/bin/python3 (Debian's Python, where python3-torch installs)")

MAGIC = 0x1F1A7E57
FORMAT = "inflvg-torchscript-1"


def f32(x: float) -> float:
    """The float32 value nearest x, as a Python float: what a Java (float) cast gives."""
    return struct.unpack(">f", struct.pack(">f", x))[0]


def read_weights(path: str) -> dict:
    """Reads a Weights file (Java DataOutputStream, big-endian): magic, count, then name, rank, shape, float32 values."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return vals

    (magic, count) = take(">ii")
    if magic & 0xFFFFFFFF != MAGIC:
        sys.exit(f"{path} is not an InfLVG weights file (bad header)")
    out = {}
    for _ in range(count):
        (n,) = take(">H")                                  # writeUTF: 2-byte length, then (modified) UTF-8
        name = data[pos:pos + n].decode("utf-8")
        pos += n
        (rank,) = take(">i")
        shape = take(">" + "q" * rank)
        size = 1
        for s in shape:
            size *= s
        values = numpy.frombuffer(data, dtype=">f4", count=size, offset=pos).astype(numpy.float32)
        pos += 4 * size
        out[name] = torch.from_numpy(values.copy()).reshape(shape)
    if pos != len(data):
        sys.exit(f"{path}: {len(data) - pos} bytes after the last tensor (another format?)")
    return out


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------- the model
# Every line mirrors TinyDiT.java. Scalars that Java passes through DJL's mul(Number)/add(Number) become 0-d float32
# tensors there, so they are 0-d float32 buffers here: the same kernels see the same operands.

class Affine(nn.Module):
    """x @ W + b with W [in, out] (TinyDiT's lin)."""

    def __init__(self, w: Tensor, b: Tensor):
        super().__init__()
        self.register_buffer("w", w)
        self.register_buffer("b", b)

    def forward(self, x: Tensor) -> Tensor:
        return torch.matmul(x, self.w) + self.b


class TextLayer(nn.Module):
    def __init__(self, W: dict, n: str, heads: int, head_dim: int, eps: float):
        super().__init__()
        self.heads, self.head_dim, self.eps = heads, head_dim, eps
        self.register_buffer("ln1_g", W[n + "ln1.g"])
        self.register_buffer("ln1_b", W[n + "ln1.b"])
        self.register_buffer("ln2_g", W[n + "ln2.g"])
        self.register_buffer("ln2_b", W[n + "ln2.b"])
        self.qkv = Affine(W[n + "qkv.w"], W[n + "qkv.b"])
        self.o = Affine(W[n + "o.w"], W[n + "o.b"])
        self.ff1 = Affine(W[n + "ff1.w"], W[n + "ff1.b"])
        self.ff2 = Affine(W[n + "ff2.w"], W[n + "ff2.b"])
        self.register_buffer("scale", torch.tensor(f32(1 / math.sqrt(head_dim)), dtype=torch.float32))

    def forward(self, e: Tensor) -> Tensor:
        d = e.shape[2]
        qkv = heads3(self.qkv(F.layer_norm(e, [d], self.ln1_g, self.ln1_b, self.eps)), self.heads, self.head_dim)
        e = e + self.o(merge(attend(qkv[0] * self.scale, qkv[1], qkv[2])))
        e = e + self.ff2(F.gelu(self.ff1(F.layer_norm(e, [d], self.ln2_g, self.ln2_b, self.eps))))
        return e


def heads3(qkv: Tensor, heads: int, head_dim: int) -> List[Tensor]:
    """[S, N, 3d] -> q, k, v [S, H, N, hd] (TinyDiT.heads3)."""
    s, n = qkv.shape[0], qkv.shape[1]
    t = qkv.reshape(s, n, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
    return [t[0], t[1], t[2]]


def merge(o: Tensor) -> Tensor:
    """[S, H, N, hd] -> [S, N, d] (TinyDiT.merge)."""
    s, n = o.shape[0], o.shape[2]
    return o.permute(0, 2, 1, 3).reshape(s, n, o.shape[1] * o.shape[3])


def attend(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """softmax(q k^T) v, no mask (TinyDiT.attend; q already scaled)."""
    s = torch.matmul(q, k.permute(0, 1, 3, 2))                     # [S, H, Nq, Nk]
    return torch.matmul(torch.softmax(s, -1), v)                   # [S, H, Nq, hd]


def swish(x: Tensor) -> Tensor:
    """DJL's swish(x, 1): sigmoid(x * 1) * x."""
    return torch.sigmoid(x) * x


class Block(nn.Module):
    def __init__(self, W: dict, n: str, cfg: dict, eps_ln: float, eps_affine: float):
        super().__init__()
        self.heads, self.head_dim, self.dim = cfg["heads"], cfg["dim"] // cfg["heads"], cfg["dim"]
        self.eps_ln, self.eps_affine = eps_ln, eps_affine
        self.mod = Affine(W[n + "mod.w"], W[n + "mod.b"])
        self.qkv = Affine(W[n + "qkv.w"], W[n + "qkv.b"])
        self.o = Affine(W[n + "o.w"], W[n + "o.b"])
        self.register_buffer("lnx_g", W[n + "lnx.g"])
        self.register_buffer("lnx_b", W[n + "lnx.b"])
        self.xq = Affine(W[n + "xq.w"], W[n + "xq.b"])
        self.xkv = Affine(W[n + "xkv.w"], W[n + "xkv.b"])
        self.xo = Affine(W[n + "xo.w"], W[n + "xo.b"])
        self.ff1 = Affine(W[n + "ff1.w"], W[n + "ff1.b"])
        self.ff2 = Affine(W[n + "ff2.w"], W[n + "ff2.b"])
        d = self.dim
        self.register_buffer("ones", torch.ones(d))
        self.register_buffer("zeros", torch.zeros(d))
        self.register_buffer("one", torch.tensor(1.0, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(f32(1 / math.sqrt(self.head_dim)), dtype=torch.float32))

    def ln(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, [self.dim], self.ones, self.zeros, self.eps_ln)

    def rope(self, x: Tensor, cos: Tensor, sin: Tensor, rot: Tensor) -> Tensor:
        return x * cos + torch.matmul(x, rot) * sin

    def key_projection(self, h: Tensor) -> Tensor:
        d = self.dim
        return torch.matmul(h, self.qkv.w[:, d:2 * d]) + self.qkv.b[d:2 * d]

    def forward(self, h: Tensor, cond: Tensor, text: Tensor, has_ctx: bool, ck: Tensor, cv: Tensor,
                cos: Tensor, sin: Tensor, rot: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        d, S = self.dim, h.shape[0]
        mod = torch.split(self.mod(cond).reshape(S, 1, 6 * d), d, 2)
        a = self.ln(h) * (mod[1] + self.one) + mod[0]
        qkv = heads3(self.qkv(a), self.heads, self.head_dim)
        q = self.rope(qkv[0], cos, sin, rot) * self.scale
        k = self.rope(qkv[1], cos, sin, rot)
        v = qkv[2]
        if not has_ctx:
            o = attend(q, k, v)
        else:
            if ck.shape[0] != S:
                shape = [S, ck.shape[1], ck.shape[2], ck.shape[3]]
                ck = ck.expand(shape)
                cv = cv.expand(shape)
            o = attend(q, torch.cat([ck, k], 2), torch.cat([cv, v], 2))
        h = h + self.o(merge(o)) * mod[2]
        # cross-attention to the prompt's text tokens
        xq = self.xq(F.layer_norm(h, [d], self.lnx_g, self.lnx_b, self.eps_affine))
        N, L = h.shape[1], text.shape[1]
        xq = xq.reshape(S, N, self.heads, self.head_dim).permute(0, 2, 1, 3) * self.scale
        kv = self.xkv(text).reshape(S, L, 2, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        h = h + self.xo(merge(attend(xq, kv[0], kv[1])))
        f = self.ln(h) * (mod[4] + self.one) + mod[3]
        f = self.ff2(F.gelu(self.ff1(f)))
        return h + f * mod[5], k, v, q


class TinyDiTModule(nn.Module):
    """TinyDiT as TorchScript: encode_text, forward (velocity + the chunk's keys, values, queries), key_projection."""

    def __init__(self, cfg: dict, vocab_size: int, W: dict):
        super().__init__()
        self.dim, self.depth, self.heads = cfg["dim"], cfg["depth"], cfg["heads"]
        self.head_dim = self.dim // self.heads
        self.chunk_frames, self.max_frames = cfg["chunkFrames"], cfg["maxFrames"]
        g = cfg["frameSize"] // cfg["patch"]
        self.tokens_per_frame = g * g
        eps_ln, eps_affine = f32(1e-6), f32(1e-5)    # Java passes 1e-6f / 1e-5f, widened to double
        self.eps_affine = eps_affine
        d = self.dim
        self.patch_in = Affine(W["patch_in.w"], W["patch_in.b"])
        self.register_buffer("frame_pos", W["frame_pos"])
        self.t1 = Affine(W["t1.w"], W["t1.b"])
        self.t2 = Affine(W["t2.w"], W["t2.b"])
        if W["text.emb"].shape[0] != vocab_size:
            sys.exit(f"text.emb has {W['text.emb'].shape[0]} rows, the vocabulary {vocab_size} words")
        self.register_buffer("text_emb", W["text.emb"])
        self.register_buffer("text_pos", W["text.pos"])
        self.text_layers = nn.ModuleList(
            [TextLayer(W, f"text.{l}.", self.heads, self.head_dim, eps_affine) for l in range(cfg["textLayers"])])
        self.register_buffer("text_ln_g", W["text.ln.g"])
        self.register_buffer("text_ln_b", W["text.ln.b"])
        self.text_pool = Affine(W["text.pool.w"], W["text.pool.b"])
        self.blocks = nn.ModuleList([Block(W, f"block.{b}.", cfg, eps_ln, eps_affine) for b in range(self.depth)])
        self.final_mod = Affine(W["final.mod.w"], W["final.mod.b"])
        self.final_out = Affine(W["final.out.w"], W["final.out.b"])
        # the optional convolutional stem and head (TinyDiT.embed / head; ModelConfig.convChannels, 0 = none)
        self.conv = int(cfg.get("convChannels", 0))
        self.patch = cfg["patch"]
        self.grid = g
        if self.conv > 0:
            self.register_buffer("stem_w", W["stem.conv.w"])
            self.register_buffer("stem_b", W["stem.conv.b"])
            self.stem_in = Affine(W["stem_in.w"], W["stem_in.b"])
            self.final_feat = Affine(W["final.feat.w"], W["final.feat.b"])
            self.register_buffer("head_w", W["head.conv.w"])
            self.register_buffer("head_b", W["head.conv.b"])
        else:
            self.register_buffer("stem_w", torch.empty(0))
            self.register_buffer("stem_b", torch.empty(0))
            self.stem_in = Affine(torch.zeros(1, 1), torch.zeros(1))
            self.final_feat = Affine(torch.zeros(1, 1), torch.zeros(1))
            self.register_buffer("head_w", torch.empty(0))
            self.register_buffer("head_b", torch.empty(0))
        self.register_buffer("ones", torch.ones(d))
        self.register_buffer("zeros", torch.zeros(d))
        self.register_buffer("one", torch.tensor(1.0, dtype=torch.float32))
        self.eps_ln = eps_ln
        cos, sin, rot = rope_tables(cfg)
        self.register_buffer("rope_cos", cos)
        self.register_buffer("rope_sin", sin)
        self.register_buffer("rope_rot", rot)
        half = d // 2
        # Java: Math.exp(-Math.log(10000) * i / half) in doubles
        self.register_buffer("time_freq", torch.tensor([math.exp(-math.log(10000) * i / half) for i in range(half)],
                                                       dtype=torch.float64))
        self.register_buffer("thousand", torch.tensor(1000.0, dtype=torch.float32))

    def to_images(self, tok: Tensor, c: int) -> Tensor:
        """Tokens [S, N, p*p*c] ((py, px, channel) order) -> frames [S*F, c, H, W] (TinyDiT.toImages)."""
        S, Fr, g, p = tok.shape[0], self.chunk_frames, self.grid, self.patch
        return tok.reshape(S, Fr, g, g, p, p, c).permute(0, 1, 6, 2, 4, 3, 5).reshape(S * Fr, c, g * p, g * p)

    def to_tokens(self, img: Tensor, S: int, c: int) -> Tensor:
        """Frames [S*F, c, H, W] -> tokens [S, N, p*p*c] (TinyDiT.toTokens)."""
        Fr, g, p = self.chunk_frames, self.grid, self.patch
        return img.reshape(S, Fr, c, g, p, g, p).permute(0, 1, 3, 5, 4, 6, 2).reshape(S, Fr * g * g, p * p * c)

    def embed(self, x: Tensor) -> Tensor:
        h = self.patch_in(x)
        if self.conv > 0:
            f = F.gelu(F.conv2d(self.to_images(x, 3), self.stem_w, self.stem_b, 1, 1))
            h = h + self.stem_in(self.to_tokens(f, x.shape[0], self.conv))
        return h

    @torch.jit.export
    def encode_text(self, ids: Tensor) -> Tuple[Tensor, Tensor]:
        """Token ids [S, L] int64 -> text tokens [S, L, d] and pooled text [S, d] (TinyDiT.encodeText)."""
        e = self.text_emb[ids] + self.text_pos                       # = one-hot(ids) @ emb + pos, exactly
        for layer in self.text_layers:
            e = layer(e)
        e = F.layer_norm(e, [self.dim], self.text_ln_g, self.text_ln_b, self.eps_affine)
        pooled = self.text_pool(e.mean(1))
        return e, pooled

    def condition(self, t: Tensor, pooled: Tensor) -> Tensor:
        """Sinusoidal features of 1000 t (cos | sin, computed in doubles like Java), the time MLP, plus pooled text."""
        a = (t * self.thousand).to(torch.float64).unsqueeze(1) * self.time_freq.unsqueeze(0)    # [S, d/2]
        f = torch.cat([torch.cos(a), torch.sin(a)], 1).to(pooled.dtype)                         # [S, d]
        te = self.t2(swish(self.t1(f)))
        return swish(te + pooled)

    @torch.jit.export
    def key_projection(self, layer: int, h: Tensor) -> Tensor:
        """Layer `layer`'s self-attention key projection of h [..., d], heads merged, no RoPE (TinyDiT.keyProjection)."""
        out = torch.empty(0)
        found = False
        for i, blk in enumerate(self.blocks):
            if i == layer:
                out = blk.key_projection(h)
                found = True
        if not found:
            raise ValueError("layer out of range")
        return out

    def forward(self, x: Tensor, t: Tensor, first_frame: int, text_tokens: Tensor, text_pooled: Tensor,
                ctx_keys: List[Tensor], ctx_values: List[Tensor], want_cache: bool
                ) -> Tuple[Tensor, List[Tensor], List[Tensor], List[Tensor]]:
        """Velocity of chunk tokens x [S, N, P] at flow times t [S] (TinyDiT.velocity); see docs/external-models.md."""
        S = x.shape[0]
        if text_tokens.shape[0] != S:      # one prompt for a whole batch (GRPO rollouts)
            text_tokens = text_tokens.expand([S, text_tokens.shape[1], text_tokens.shape[2]])
            text_pooled = text_pooled.expand([S, text_pooled.shape[1]])
        if first_frame < 0 or first_frame + self.chunk_frames > self.max_frames:
            raise ValueError("frame position beyond the model's frames")
        d, Fr, T = self.dim, self.chunk_frames, self.tokens_per_frame
        h = self.embed(x)
        pe = self.frame_pos[first_frame:first_frame + Fr]                          # = one-hot @ frame_pos, exactly
        h = (h.reshape(S, Fr, T, d) + pe.reshape(1, Fr, 1, d)).reshape(S, Fr * T, d)
        cond = self.condition(t, text_pooled)
        has_ctx = len(ctx_keys) > 0 and ctx_keys[0].shape[2] > 0
        keys: List[Tensor] = []
        values: List[Tensor] = []
        queries: List[Tensor] = []
        none = torch.empty(0)
        for i, blk in enumerate(self.blocks):
            ck = ctx_keys[i] if has_ctx else none
            cv = ctx_values[i] if has_ctx else none
            h, k, v, q = blk(h, cond, text_tokens, has_ctx, ck, cv, self.rope_cos, self.rope_sin, self.rope_rot)
            if want_cache:
                keys.append(k)
                values.append(v)
                queries.append(q)
        mod = torch.split(self.final_mod(cond).reshape(S, 1, 2 * d), d, 2)
        z = F.layer_norm(h, [d], self.ones, self.zeros, self.eps_ln) * (mod[1] + self.one) + mod[0]
        out = self.final_out(z)
        if self.conv > 0:
            img = F.conv2d(self.to_images(self.final_feat(z), self.conv), self.head_w, self.head_b, 1, 1)
            out = out + self.to_tokens(img, S, 3)
        return out, keys, values, queries


class Bfloat16Module(nn.Module):
    """The bfloat16 export (--dtype bfloat16): TinyDiTModule with its weights in bfloat16, float32 at every boundary.

    DJL 0.36's PyTorch JNI has no bfloat16 type (an array of it aborts the JVM, docs/gpu-host.md section 4), so the Java
    side must never see one: every method casts its float32 inputs to bfloat16 on entry and its outputs, the keys,
    values and queries for the KV cache included, back to float32 on exit. The cache's keys come back in as ctx_keys
    and are cast again: values that were bfloat16 survive the float32 round trip exactly. The one input kept in
    float32 is the flow time t: its sinusoidal features are computed in doubles as in float32 (1000 t in bfloat16 keeps
    8 bits, too few for the high frequencies) and cast to bfloat16 before the time MLP.
    """

    def __init__(self, inner: TinyDiTModule):
        super().__init__()
        self.inner = inner

    @torch.jit.export
    def encode_text(self, ids: Tensor) -> Tuple[Tensor, Tensor]:
        e, pooled = self.inner.encode_text(ids)
        return e.float(), pooled.float()

    @torch.jit.export
    def key_projection(self, layer: int, h: Tensor) -> Tensor:
        return self.inner.key_projection(layer, h.to(torch.bfloat16)).float()

    def forward(self, x: Tensor, t: Tensor, first_frame: int, text_tokens: Tensor, text_pooled: Tensor,
                ctx_keys: List[Tensor], ctx_values: List[Tensor], want_cache: bool
                ) -> Tuple[Tensor, List[Tensor], List[Tensor], List[Tensor]]:
        bf = torch.bfloat16
        v, k, vv, q = self.inner(x.to(bf), t, first_frame, text_tokens.to(bf), text_pooled.to(bf),
                                 [c.to(bf) for c in ctx_keys], [c.to(bf) for c in ctx_values], want_cache)
        return v.float(), [a.float() for a in k], [a.float() for a in vv], [a.float() for a in q]


def to_bfloat16(module: TinyDiTModule) -> Bfloat16Module:
    """Every float32 buffer (weights, RoPE tables, layer-norm ones and zeros, 0-d constants) in bfloat16, except the
    time features' 1000 (t stays float32) and the float64 frequencies; then the float32 boundary around it."""
    for m in module.modules():
        for name, b in list(m._buffers.items()):
            if b is not None and b.dtype == torch.float32 and name != "thousand":
                m._buffers[name] = b.to(torch.bfloat16)
    return Bfloat16Module(module)


def rope_tables(cfg: dict):
    """cos, sin [N, hd] and the signed rotate-half matrix [hd, hd] (TinyDiT.ropeTables, in doubles then float32)."""
    g = cfg["frameSize"] // cfg["patch"]
    T = g * g
    n = T * cfg["chunkFrames"]
    hd = cfg["dim"] // cfg["heads"]
    quarter = hd // 4
    cos = torch.zeros(n, hd, dtype=torch.float32)
    sin = torch.zeros(n, hd, dtype=torch.float32)
    for j in range(n):
        cell = j % T
        row, col = cell // g, cell % g
        for i in range(hd):
            group = i // (hd // 2)
            k = (i % (hd // 2)) % quarter
            freq = math.pow(100.0, -k / quarter)
            angle = (row if group == 0 else col) * freq
            cos[j, i] = math.cos(angle)
            sin[j, i] = math.sin(angle)
    rot = torch.zeros(hd, hd, dtype=torch.float32)
    for half in range(2):
        base = half * hd // 2
        for k in range(quarter):
            a, b = base + k, base + k + quarter
            rot[b, a] = -1.0
            rot[a, b] = 1.0
    return cos, sin, rot


# ---------------------------------------------------------------------------------------------------- export

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="data/tinydit", help="TinyDiT model folder (config.json + model.bin)")
    p.add_argument("--out", help="TorchScript file to write (.pt); default data/external/tinydit-ts.pt, with "
                                 "--dtype bfloat16 data/external/tinydit-ts-bf16.pt")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                   help="number type of the weights and the compute; bfloat16 keeps float32 at the module's boundary "
                        "(DJL cannot hold bfloat16) and is recorded in the JSON, which a host's dtype must match")
    args = p.parse_args(argv)
    if args.out is None:
        args.out = "data/external/tinydit-ts" + ("-bf16" if args.dtype == "bfloat16" else "") + ".pt"
    if not args.out.endswith(".pt"):
        sys.exit(f"--out must end with .pt, got {args.out}")
    cfg_file, bin_file = os.path.join(args.model, "config.json"), os.path.join(args.model, "model.bin")
    for f in (cfg_file, bin_file):
        if not os.path.isfile(f):
            sys.exit(f"{f} is missing: --model must be a TinyDiT folder (train one with ./inflvg train base)")
    with open(cfg_file) as f:
        meta = json.load(f)
    if meta.get("format") != "inflvg-tinydit-1":
        sys.exit(f"{cfg_file} has format {meta.get('format')!r}, expected 'inflvg-tinydit-1'")
    source_sha = sha256(bin_file)
    if source_sha != meta.get("sha256"):
        sys.exit(f"{bin_file} does not match the SHA-256 in {cfg_file}: truncated or another model")
    cfg, vocabulary = meta["config"], meta["vocabulary"]
    torch.set_grad_enabled(False)
    W = read_weights(bin_file)
    module = TinyDiTModule(cfg, len(vocabulary) + 1, W).eval()     # + 1: id 0 is padding
    if args.dtype == "bfloat16":
        module = to_bfloat16(module).eval()
    scripted = torch.jit.script(module)
    check(scripted, cfg)
    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    torch.jit.save(scripted, tmp)
    os.replace(tmp, out)
    sha = sha256(out)
    record = {
        "format": FORMAT,
        "file": os.path.basename(out),
        "sha256": sha,
        "bytes": os.path.getsize(out),
        "dtype": args.dtype,
        "config": cfg,
        "vocabulary": vocabulary,
        "source": {"model": os.path.normpath(args.model), "format": meta["format"], "sha256": source_sha,
                   "parameters": meta.get("parameters"), "steps": meta.get("provenance", {}).get("steps")},
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "command": "/usr/bin/python3 tools/export_tinydit.py --model " + os.path.normpath(args.model)
                   + ("" if args.dtype == "float32" else " --dtype " + args.dtype) + " --out " + os.path.normpath(out),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    side = out[:-3] + ".json"
    with open(side + ".tmp", "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    os.replace(side + ".tmp", side)
    print(f"wrote {out} ({args.dtype}, {record['bytes']} bytes, sha256 {sha[:12]}) and {side}; source {args.model} "
          f"sha256 {source_sha[:12]}, torch {torch.__version__}")


def check(m, cfg):
    """Shapes of one call with and without context (no numbers: the Java tests compare against TinyDiT)."""
    d, D, H = cfg["dim"], cfg["depth"], cfg["heads"]
    hd, L = d // H, cfg["textLength"]
    N = (cfg["frameSize"] // cfg["patch"]) ** 2 * cfg["chunkFrames"]
    P = cfg["patch"] ** 2 * 3
    ids = torch.zeros(2, L, dtype=torch.int64)
    ids[0, 0] = 1
    tok, pooled = m.encode_text(ids)
    assert tok.shape == (2, L, d) and pooled.shape == (2, d), (tok.shape, pooled.shape)
    x = torch.randn(2, N, P)
    v, k, vv, q = m(x, torch.tensor([1.0, 0.5]), 0, tok, pooled, [], [], True)
    assert v.shape == (2, N, P) and len(k) == D and k[0].shape == (2, H, N, hd), (v.shape, len(k))
    for out in [tok, pooled, v] + k + vv + q:       # float32 at the boundary, whatever the module computes in
        assert out.dtype == torch.float32, out.dtype
    ctx_k = [torch.randn(1, H, 5, hd) for _ in range(D)]
    v2, k2, _, _ = m(x, torch.tensor([0.0, 0.0]), 2, tok[:1], pooled[:1], ctx_k, ctx_k, False)
    assert v2.shape == (2, N, P) and len(k2) == 0
    kp = m.key_projection(D // 2, tok.mean(1))
    assert kp.shape == (2, d)


if __name__ == "__main__":
    main()
