"""PyTorch peer benchmark: full-size IC-search CAE (2960 bins, latent 4), training step and inference.
Same network as tools/ic_cae_torch.py (reference architecture A); prints one JSON object on stdout.

Usage: /usr/bin/python3 bench/peer/cae_torch.py [--threads 2] [--batch 150] [--warmup 2] [--iters 5] [--device cuda]
(see bench/peer/README.md: Debian's torch links the reference libblas unless OpenBLAS is put in front).
"""
import argparse
import json
import os
import platform
import statistics
import sys


def parse_args():
    parser = argparse.ArgumentParser(description="PyTorch IC-search CAE peer benchmark")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--batch", type=int, default=150, help="spectra per batch (paper: 150)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations before timing")
    parser.add_argument("--iters", type=int, default=5, help="timed iterations")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    if args.threads < 1 or args.batch < 1 or args.iters < 1 or args.warmup < 0:
        parser.error("threads, batch and iters must be >= 1, warmup >= 0")
    return args


ARGS = parse_args()
# OpenMP and OpenBLAS read their thread counts when torch loads them, so set them before the import.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from ic_cae_torch import REFERENCE_BINS, REFERENCE_LATENT, ICCAE, cae_loss, count_parameters  # noqa: E402
from peer_timing import timed  # noqa: E402

ENCODER_PARAMETERS = 6_088_482  # reference-architectures.md section A
DECODER_PARAMETERS = 179_121


def summary(times_ms, batch):
    median = statistics.median(times_ms)
    return {"ms_median": round(median, 3), "ms_min": round(min(times_ms), 3),
            "ms_mean": round(statistics.mean(times_ms), 3), "spectra_per_s": round(batch / (median / 1e3), 1),
            "iters": len(times_ms)}


def loaded_blas():
    """Path of the BLAS library this process mapped (reference libblas vs OpenBLAS changes torch's speed)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none found"


def cpu_model():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    model = ICCAE().to(device)  # float32, reference widths
    n_enc, n_dec = count_parameters(model.encoder), count_parameters(model.decoder)
    print(f"encoder parameters {n_enc:,}, decoder parameters {n_dec:,}", file=sys.stderr)
    assert n_enc == ENCODER_PARAMETERS, f"encoder has {n_enc} parameters, expected {ENCODER_PARAMETERS}"
    assert n_dec == DECODER_PARAMETERS, f"decoder has {n_dec} parameters, expected {DECODER_PARAMETERS}"

    # Spectrum-like positive input (counts/s/keV scale) and labels in [0, 1], as in training.
    spectra = (torch.exp(torch.randn(args.batch, 1, REFERENCE_BINS) * 0.5) * 0.05).to(device)  # (B, 1, E)
    labels = torch.rand(args.batch, REFERENCE_LATENT).to(device)  # (B, 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        recon, code = model(spectra)
        loss, _, _ = cae_loss(recon, spectra, code, labels, weight=0.1)
        loss.backward()
        optimizer.step()

    def inference():
        with torch.no_grad():
            recon, _ = model(spectra)
            torch.mean((recon - spectra) ** 2, dim=(1, 2))  # anomaly score Ra per spectrum

    model.train()
    train = summary(timed(train_step, args.warmup, args.iters, sync), args.batch)
    model.eval()
    infer = summary(timed(inference, args.warmup, args.iters, sync), args.batch)

    result = {
        "benchmark": "ic_cae_torch", "torch": torch.__version__, "device": str(device),
        "cpu": cpu_model(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        # torch's defaults on the GPU: cuDNN convolutions may use TF32 tensor cores, matmuls stay float32.
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32 if device.type == "cuda" else None,
        "batch": args.batch, "n_bins": REFERENCE_BINS, "encoder_parameters": n_enc, "decoder_parameters": n_dec,
        "dtype": "float32", "blas": loaded_blas(), "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "train_step": dict(summary=train, what="forward (train-mode BN) + MSE + 0.1*L1 latent loss + backward + "
                           "Adam step"),
        "inference": dict(summary=infer, what="eval-mode forward under no_grad + per-spectrum MSE"),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
