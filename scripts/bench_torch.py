#!/usr/bin/python3
"""Times the PyTorch twin of the C score network (include/nn/scorenet.h) on one thread.

Run by build/bench/bench_nn (`make bench`), which prints the speed-up lines; it can
also be run by hand:  /usr/bin/python3 scripts/bench_torch.py [--reps N] [--warmup N]

Same architecture, sizes and batches as the C benchmark: token linear + learned
positional embedding + diffusion-step embedding (sinusoidal 64 -> linear -> SiLU ->
linear) added to every token; pre-LayerNorm blocks (fused qkv linear, heads batched
with matmul, no mask; MLP 4x with tanh-GELU); final LayerNorm + linear; MSE loss;
torch.optim.Adam.  A training step is zero_grad + forward + loss + backward + step;
a forward pass runs under torch.no_grad().

Prints one line per figure, `torch: NAME VALUE UNIT`; exit status 3 if torch cannot
be imported (the C benchmark then reports the comparison as skipped).
"""
import argparse
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"torch: unavailable ({type(e).__name__}: {e})")
    sys.exit(3)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)
        self.act = nn.GELU(approximate="tanh")

    def forward(self, x):
        B, L, d = x.shape
        hs = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, self.heads, hs).permute(2, 0, 3, 1, 4)
        att = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs)), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, L, d)
        x = x + self.proj(y)
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class ScoreNet(nn.Module):
    def __init__(self, d, heads, layers, L, d_tok, t_emb=64):
        super().__init__()
        self.t_emb = t_emb
        self.tok = nn.Linear(d_tok, d)
        self.pos = nn.Parameter(0.02 * torch.randn(L, d))
        self.t1 = nn.Linear(t_emb, d)
        self.t2 = nn.Linear(d, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d)
        self.out = nn.Linear(d, d_tok)
        half = t_emb // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half) / half))

    def forward(self, x, t):
        a = t[:, None] * self.freqs[None, :]
        temb = self.t2(F.silu(self.t1(torch.cat([torch.sin(a), torch.cos(a)], dim=-1))))
        h = self.tok(x) + self.pos + temb[:, None, :]
        for blk in self.blocks:
            h = blk(h)
        return self.out(self.lnf(h))


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--only", default="", help="d64 or d128 (default: both)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"torch: version {torch.__version__} -")
    print(f"torch: threads {torch.get_num_threads()} -")
    configs = {"d64": (64, 4, 2, 9, 9), "d128": (128, 4, 4, 9, 9)}
    for name, (d, heads, layers, L, d_tok) in configs.items():
        if args.only and args.only != name:
            continue
        model = ScoreNet(d, heads, layers, L, d_tok)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        B = 256
        x, eps = torch.randn(B, L, d_tok), torch.randn(B, L, d_tok)
        t = torch.randint(0, 1000, (B,)).float()

        def train_step():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x, t), eps)
            loss.backward()
            opt.step()

        print(f"torch: train_{name} {median_ms(train_step, args.warmup, args.reps):.3f} ms", flush=True)
        B = 512
        xf = torch.randn(B, L, d_tok)
        tf = torch.randint(0, 1000, (B,)).float()

        def fwd():
            with torch.no_grad():
                model(xf, tf)

        print(f"torch: fwd_{name} {median_ms(fwd, args.warmup, args.reps):.3f} ms", flush=True)


if __name__ == "__main__":
    main()
