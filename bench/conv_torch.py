"""PyTorch peer for bench/bench_conv.cpp: forward+backward of every conv layer and batch norm of the IC-search CAE
(batch 150, 2960 bins) at the same shapes; prints ms per layer (median and min) and the totals.

Usage: python bench/conv_torch.py [--threads 2] [--iters 5]   (any torch; report its version and BLAS)
"""
import argparse
import os
import statistics
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--iters", type=int, default=5)
args = parser.parse_args()
os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
B = 150


def layers():
    """(transposed, C, O, L, K, stride, pad, out_pad) in the order of bench_conv.cpp's iccae_layers()."""
    v = [(False, 1, 4, 2960, 3, 2, 1, 0)]
    ch = [4, 16, 32, 64, 128]
    L = 1480
    for i in range(4):
        M = (L + 1) // 2
        v += [(False, ch[i], ch[i + 1], L, 3, 2, 1, 0), (False, ch[i + 1], ch[i + 1], M, 3, 1, 1, 0),
              (False, ch[i], ch[i + 1], L, 1, 2, 0, 0)]
        L = M
    L = 185
    for i in range(4, 0, -1):
        v += [(True, ch[i], ch[i - 1], L, 3, 2, 1, 1), (True, ch[i - 1], ch[i - 1], 2 * L, 3, 1, 1, 0),
              (True, ch[i], ch[i - 1], L, 1, 2, 0, 1)]
        L *= 2
    v.append((True, 4, 1, 2960, 1, 1, 0, 0))
    return v


def timeit(fn):
    """Median wall ms and median process CPU ms (CPU time is steadier on a shared machine)."""
    fn()
    wall, cpu = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def conv_step(t, C, O, L, K, s, p, op):
    x = torch.randn(B, C, L, requires_grad=True)
    w = torch.randn(*((C, O, K) if t else (O, C, K)), requires_grad=True)
    b = torch.randn(O, requires_grad=True)
    y0 = F.conv_transpose1d(x, w, b, s, p, op) if t else F.conv1d(x, w, b, s, p)
    seed = torch.randn_like(y0)

    def run():
        x.grad = w.grad = b.grad = None
        y = F.conv_transpose1d(x, w, b, s, p, op) if t else F.conv1d(x, w, b, s, p)
        y.backward(seed)
    return run, y0.shape


def bn_step(C, L):
    x = torch.randn(B, C, L, requires_grad=True)
    w = torch.ones(C, requires_grad=True)
    b = torch.zeros(C, requires_grad=True)
    rm, rv = torch.zeros(C), torch.ones(C)
    seed = torch.randn(B, C, L)

    def run():
        x.grad = w.grad = b.grad = None
        F.batch_norm(x, rm, rv, w, b, True).backward(seed)
    return run


total_med = total_min = 0.0  # wall, cpu
bn_shapes = []
for g in layers():
    run, shape = conv_step(*g)
    med, mn = timeit(run)
    total_med += med
    total_min += mn
    if g[2] > 1:
        bn_shapes.append((g[2], shape[2]))
    print(f"{'convT' if g[0] else 'conv '} {g[1]}->{g[2]} k{g[4]} s{g[5]} L{g[3]}->{shape[2]}: {med:.2f} ms (cpu {mn:.2f})")
bn_shapes += [(64, 370), (32, 740), (16, 1480), (4, 2960)]
for C, L in bn_shapes:
    med, mn = timeit(bn_step(C, L))
    print(f"batch_norm {C}x{L}: {med:.2f} ms (cpu {mn:.2f})")
    total_med += med
    total_min += mn
print(f"torch {torch.__version__} threads {args.threads}: conv+bn step total {total_med:.1f} ms (cpu {total_min:.1f})")
