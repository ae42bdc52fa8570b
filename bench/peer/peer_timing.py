"""Wall-clock timing shared by the PyTorch peer scripts (cae_torch.py, flow_torch.py and, through it, bhb_torch.py)."""
import time


def timed(fn, warmup, iters, sync):
    """Runs fn warmup times untimed, then iters times, each followed by sync(); returns the per-call wall times in ms."""
    for _ in range(warmup):
        fn()
    sync()
    times_ms = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync()
        times_ms.append((time.perf_counter() - start) * 1e3)
    return times_ms
