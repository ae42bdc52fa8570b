"""PyTorch peer benchmark: the paper's conditional neural spline flow, one training step (-mean log q, backward,
Adam), matching specnet's nn::SplineFlow defaults (bench/bench_cuda_steps.cpp BM_cuda_flow_train_step).

nflows is not installed, so the flow is written out as nflows builds it: 10 MaskedPiecewiseRationalQuadratic-
AutoregressiveTransforms (MADE: masked input layer + context linear, 2 masked ReLU layers of 120, masked output of
D (3K - 1)), ReversePermutation between them, linear-tail RQ splines (the spline math of tools/make_flow_fixtures.py,
a transcription of nflows), standard-normal base. SplineFlow.rsample (the inverse) is used by bhb_torch.py.
Prints one JSON object on stdout.

Usage: python3 bench/peer/flow_torch.py [--device cuda] [--batch 512] [--warmup 3] [--iters 50]
"""
import argparse
import json
import math
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from make_flow_fixtures import unconstrained_rational_quadratic_spline  # noqa: E402
from peer_timing import timed  # noqa: E402

torch.set_default_dtype(torch.float32)  # make_flow_fixtures sets float64 for its fixtures

FEATURES, CONTEXT, TRANSFORMS, HIDDEN, BINS, TAIL = 5, 120, 10, 120, 8, 5.0


class MaskedLinear(torch.nn.Linear):
    def __init__(self, in_degrees, out_degrees, strict):
        super().__init__(len(in_degrees), len(out_degrees))
        mask = (out_degrees[:, None] > in_degrees[None, :]) if strict else (out_degrees[:, None] >= in_degrees[None, :])
        self.register_buffer("mask", mask.float())

    def forward(self, x):
        return torch.nn.functional.linear(x, self.weight * self.mask, self.bias)


class Made(torch.nn.Module):
    def __init__(self):
        super().__init__()
        d_in = torch.arange(1, FEATURES + 1)
        d_hid = torch.arange(HIDDEN) % max(1, FEATURES - 1) + min(1, FEATURES - 1)
        multiplier = 3 * BINS - 1
        d_out = torch.arange(FEATURES * multiplier) // multiplier + 1  # each feature's outputs contiguous
        self.initial = MaskedLinear(d_in, d_hid, strict=False)
        self.context = torch.nn.Linear(CONTEXT, HIDDEN)
        self.blocks = torch.nn.ModuleList([MaskedLinear(d_hid, d_hid, strict=False) for _ in range(2)])
        self.final = MaskedLinear(d_hid, d_out, strict=True)

    def forward(self, x, ctx):
        return self.forward_projected(x, self.context(ctx))

    def forward_projected(self, x, ctx_h, feature=None):
        """MADE with the context already projected (ctx_h = context(ctx)); feature i: only its 3K - 1 outputs."""
        h = self.initial(x) + ctx_h
        for layer in self.blocks:
            h = torch.relu(layer(h))
        if feature is None:
            return self.final(h)
        rows = slice(feature * (3 * BINS - 1), (feature + 1) * (3 * BINS - 1))
        return torch.nn.functional.linear(h, (self.final.weight * self.final.mask)[rows], self.final.bias[rows])


class SplineFlow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.made = torch.nn.ModuleList([Made() for _ in range(TRANSFORMS)])

    @staticmethod
    def spline(x, p, inverse=False):
        """nflows' linear-tail RQ spline of x (..., n) with MADE outputs p (..., n * (3K - 1)); widths and heights
        scaled by 1/sqrt(hidden) as nflows does. Returns outputs and log|det| per element."""
        p = p.reshape(*x.shape, 3 * BINS - 1)
        scale = 1.0 / math.sqrt(HIDDEN)
        return unconstrained_rational_quadratic_spline(x, p[..., :BINS] * scale, p[..., BINS:2 * BINS] * scale,
                                                       p[..., 2 * BINS:], inverse=inverse, tail_bound=TAIL)

    def log_prob(self, theta, ctx):
        x, logdet = theta, 0
        for t, made in enumerate(self.made):
            if t > 0:
                x = torch.flip(x, dims=(-1,))
            x, lad = self.spline(x, made(x, ctx))
            logdet = logdet + lad.sum(-1)
        return -0.5 * (x * x).sum(-1) - FEATURES * 0.5 * math.log(2 * math.pi) + logdet

    def rsample(self, ctx, inverse="feature"):
        """One reparameterised draw per context row (B, C) -> (B, D): z ~ N(0, I) through the inverse of every
        transform, D sequential MADE passes each. inverse="feature" does what specnet's SplineFlow::rsample does
        (context projected once per transform; pass i feeds the finished features, zeros after them, and computes
        and inverts feature i alone); inverse="nflows" is nflows' AutoregressiveTransform inverse (pass i runs the
        whole MADE with its context layer and the spline over all D features)."""
        x = torch.randn(ctx.shape[0], FEATURES, device=ctx.device, dtype=ctx.dtype)
        for t in reversed(range(len(self.made))):
            made = self.made[t]
            if inverse == "feature":
                ctx_h = made.context(ctx)
                done = []
                for i in range(FEATURES):
                    cond = torch.cat(done + [x.new_zeros(x.shape[0], FEATURES - i)], dim=-1)
                    y, _ = self.spline(x[:, i:i + 1], made.forward_projected(cond, ctx_h, i), inverse=True)
                    done.append(y)
                y = torch.cat(done, dim=-1)
            elif inverse == "nflows":
                y = torch.zeros_like(x)
                for _ in range(FEATURES):
                    y, _ = self.spline(x, made(y, ctx), inverse=True)
            else:
                raise ValueError(f"inverse must be 'feature' or 'nflows', got {inverse!r}")
            x = torch.flip(y, dims=(-1,)) if t > 0 else y
        return x


def time_steps(step, batch, warmup, iters, sync):
    """Runs step() warmup times untimed, then iters times, each followed by sync(): median / min ms per step and
    spectra/s at the median (the train_step record of the peers' JSON)."""
    times_ms = timed(step, warmup, iters, sync)
    median = statistics.median(times_ms)
    return {"ms_median": round(median, 3), "ms_min": round(min(times_ms), 3),
            "spectra_per_s": round(batch / (median / 1e3), 1), "iters": len(times_ms)}


def main():
    parser = argparse.ArgumentParser(description="PyTorch spline-flow training-step peer benchmark")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iters", type=int, default=50)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    flow = SplineFlow().to(device)
    theta = torch.randn(args.batch, FEATURES, device=device)
    ctx = torch.randn(args.batch, CONTEXT, device=device)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -flow.log_prob(theta, ctx).mean()
        loss.backward()
        opt.step()
        return loss.item()  # as specnet's benchmark: the step ends with the loss on the host

    print(json.dumps({
        "benchmark": "spline_flow_torch", "torch": torch.__version__, "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None, "batch": args.batch,
        "dtype": "float32", "parameters": sum(p.numel() for p in flow.parameters()),
        "train_step": time_steps(step, args.batch, args.warmup, args.iters, sync),
    }, indent=2))


if __name__ == "__main__":
    main()
