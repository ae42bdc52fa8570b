"""Writes the PyTorch (float64) reference fixtures for the flow layers in tests/fixtures/flows/*.safetensors.

torch.nn.GRU cases run torch itself. The rational-quadratic spline re-implements the math of nflows (bayesiains/nflows, nflows/transforms/splines/
rational_quadratic.py: unconstrained_rational_quadratic_spline with tails="linear", rational_quadratic_spline and
nflows/utils/torchutils.py: searchsorted), which is not installed here; Durkan et al. 2019, "Neural Spline Flows".

Run from the repository root: /usr/bin/python3 tools/make_flow_fixtures.py
Each case draws its inputs from a generator seeded by crc32(case name), so the output is reproducible.
"""
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "flows")

torch.set_default_dtype(torch.float64)


def generator(case):
    return torch.Generator().manual_seed(zlib.crc32(case.encode("utf-8")))


def searchsorted(bin_locations, inputs, eps=1e-6):
    bin_locations = bin_locations.clone()
    bin_locations[..., -1] += eps
    return torch.sum(inputs[..., None] >= bin_locations, dim=-1) - 1


def knots(unnormalized, min_bin_size, low, high):
    """nflows' bin construction, used alike for widths and heights: softmax, minimum size, cumsum, pinned ends."""
    num_bins = unnormalized.shape[-1]
    sizes = F.softmax(unnormalized, dim=-1)
    sizes = min_bin_size + (1 - min_bin_size * num_bins) * sizes
    cum = torch.cumsum(sizes, dim=-1)
    cum = F.pad(cum, pad=(1, 0), mode="constant", value=0.0)
    cum = (high - low) * cum + low
    cum[..., 0] = low
    cum[..., -1] = high
    return cum, cum[..., 1:] - cum[..., :-1]


def rational_quadratic_spline(inputs, uw, uh, ud, inverse, left, right, bottom, top, min_bin_width,
                              min_bin_height, min_derivative):
    cumwidths, widths = knots(uw, min_bin_width, left, right)
    derivatives = min_derivative + F.softplus(ud)
    cumheights, heights = knots(uh, min_bin_height, bottom, top)

    bin_idx = searchsorted(cumheights if inverse else cumwidths, inputs)[..., None]
    input_cumwidths = cumwidths.gather(-1, bin_idx)[..., 0]
    input_bin_widths = widths.gather(-1, bin_idx)[..., 0]
    input_cumheights = cumheights.gather(-1, bin_idx)[..., 0]
    delta = heights / widths
    input_delta = delta.gather(-1, bin_idx)[..., 0]
    input_derivatives = derivatives.gather(-1, bin_idx)[..., 0]
    input_derivatives_plus_one = derivatives[..., 1:].gather(-1, bin_idx)[..., 0]
    input_heights = heights.gather(-1, bin_idx)[..., 0]
    curvature = input_derivatives + input_derivatives_plus_one - 2 * input_delta

    if inverse:
        dy = inputs - input_cumheights
        a = dy * curvature + input_heights * (input_delta - input_derivatives)
        b = input_heights * input_derivatives - dy * curvature
        c = -input_delta * dy
        discriminant = b.pow(2) - 4 * a * c
        assert (discriminant >= 0).all()
        theta = (2 * c) / (-b - torch.sqrt(discriminant))
        outputs = theta * input_bin_widths + input_cumwidths
    else:
        theta = (inputs - input_cumwidths) / input_bin_widths
    theta_one_minus_theta = theta * (1 - theta)
    denominator = input_delta + curvature * theta_one_minus_theta
    derivative_numerator = input_delta.pow(2) * (input_derivatives_plus_one * theta.pow(2)
                                                 + 2 * input_delta * theta_one_minus_theta
                                                 + input_derivatives * (1 - theta).pow(2))
    logabsdet = torch.log(derivative_numerator) - 2 * torch.log(denominator)
    if inverse:
        return outputs, -logabsdet
    numerator = input_heights * (input_delta * theta.pow(2) + input_derivatives * theta_one_minus_theta)
    return input_cumheights + numerator / denominator, logabsdet


def unconstrained_rational_quadratic_spline(inputs, uw, uh, ud, inverse=False, tail_bound=1.0, min_bin_width=1e-3,
                                            min_bin_height=1e-3, min_derivative=1e-3):
    inside = (inputs >= -tail_bound) & (inputs <= tail_bound)
    outputs = torch.zeros_like(inputs)
    logabsdet = torch.zeros_like(inputs)
    ud = F.pad(ud, pad=(1, 1))
    constant = math.log(math.exp(1 - min_derivative) - 1)
    ud[..., 0] = constant
    ud[..., -1] = constant
    outputs[~inside] = inputs[~inside]
    if inside.any():
        outputs[inside], logabsdet[inside] = rational_quadratic_spline(
            inputs[inside], uw[inside, :], uh[inside, :], ud[inside, :], inverse, -tail_bound, tail_bound,
            -tail_bound, tail_bound, min_bin_width, min_bin_height, min_derivative)
    return outputs, logabsdet


def spline_case(case, shape, bins, tail_bound, inverse):
    gen = generator(case)
    x = torch.randn(*shape, generator=gen) * tail_bound * 0.7  # about 15% of the points land in the tails
    params = {"widths": torch.randn(*shape, bins, generator=gen) * 1.5,
              "heights": torch.randn(*shape, bins, generator=gen) * 1.5,
              "derivatives": torch.randn(*shape, bins - 1, generator=gen) * 1.5}
    leaves = {"input": x.clone().requires_grad_(True)}
    leaves.update({k: v.clone().requires_grad_(True) for k, v in params.items()})
    out, lad = unconstrained_rational_quadratic_spline(leaves["input"], leaves["widths"], leaves["heights"],
                                                       leaves["derivatives"], inverse=inverse, tail_bound=tail_bound)
    grad_output = torch.randn(*shape, generator=gen)
    grad_logabsdet = torch.randn(*shape, generator=gen)
    torch.autograd.backward([out, lad], [grad_output, grad_logabsdet])
    tensors = {"input": x, "output": out, "logabsdet": lad, "grad_output": grad_output,
               "grad_logabsdet": grad_logabsdet}
    tensors.update(params)
    for name, leaf in leaves.items():
        tensors["grad_" + name] = leaf.grad
    meta = {"op": "nflows.unconstrained_rational_quadratic_spline", "tails": "linear", "tail_bound": str(tail_bound),
            "inverse": str(inverse), "min_bin_width": "0.001", "min_bin_height": "0.001", "min_derivative": "0.001"}
    return case, tensors, meta


def gru_case(case, batch, length, input_size, hidden, layers, bidirectional):
    """torch.nn.GRU (batch_first) with a random h0: output, h_n and the gradients of every input and parameter."""
    gen = generator(case)
    gru = torch.nn.GRU(input_size, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    dirs = 2 if bidirectional else 1
    with torch.no_grad():
        for param in gru.parameters():  # torch's own init, drawn from this case's generator
            param.uniform_(-hidden ** -0.5, hidden ** -0.5, generator=gen)
    x = torch.randn(batch, length, input_size, generator=gen).requires_grad_(True)
    h0 = (torch.randn(layers * dirs, batch, hidden, generator=gen) * 0.5).requires_grad_(True)
    output, h_n = gru(x, h0)
    grad_output = torch.randn(output.shape, generator=gen)
    grad_h_n = torch.randn(h_n.shape, generator=gen)
    torch.autograd.backward([output, h_n], [grad_output, grad_h_n])
    tensors = {"input": x, "h0": h0, "output": output, "h_n": h_n, "grad_output": grad_output,
               "grad_h_n": grad_h_n, "grad_input": x.grad, "grad_h0": h0.grad}
    for name, param in gru.named_parameters():
        tensors[name] = param
        tensors["grad_" + name] = param.grad
    meta = {"op": "torch.nn.GRU", "input_size": str(input_size), "hidden_size": str(hidden), "num_layers": str(layers),
            "bidirectional": str(bidirectional), "batch_first": "True"}
    return case, tensors, meta


def main():
    cases = [spline_case("rq_spline_forward", (32, 5), 8, 5.0, False),
             spline_case("rq_spline_inverse", (32, 5), 8, 5.0, True),
             spline_case("rq_spline_k3_b1", (40,), 3, 1.0, False),
             gru_case("gru_2layer_bidir", 3, 7, 3, 4, 2, True),
             gru_case("gru_h1_240_steps", 2, 240, 1, 1, 2, True)]
    os.makedirs(OUT_DIR, exist_ok=True)
    lines = ["# Flow-layer reference fixtures", "",
             "Written by `/usr/bin/python3 tools/make_flow_fixtures.py` (torch " + torch.__version__ + ", float64);",
             "replayed by tests/test_rq_spline.cpp and tests/test_gru.cpp.", "",
             "| file | op | tensors |", "|---|---|---|"]
    for case, tensors, meta in cases:
        meta = dict(meta, generator="tools/make_flow_fixtures.py", torch=torch.__version__, case=case)
        write_safetensors(os.path.join(OUT_DIR, case + ".safetensors"),
                          {k: v.detach().contiguous() for k, v in tensors.items()}, meta)
        listing = ", ".join(f"{k} {tuple(v.shape)}" for k, v in sorted(tensors.items()) if not k.startswith("grad_"))
        lines.append(f"| `{case}.safetensors` | {meta['op']} | {listing}; grad_* of each input |")
        print(f"wrote {case}.safetensors")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
