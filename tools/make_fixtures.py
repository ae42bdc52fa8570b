"""Writes the PyTorch (float64) reference fixtures in tests/fixtures/*.safetensors and tests/fixtures/README.md.
Each file holds one case: inputs, outputs and gradients of a torch op, optimizer, scheduler or the small IC CAE.

Run from the repository root: /usr/bin/python3 tools/make_fixtures.py
Every case draws its inputs from its own generator seeded by crc32(case name), so cases are independent and the
output is byte-identical from run to run on the same torch version.
"""
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ic_cae_torch import ICCAE, cae_loss, count_parameters  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures")
MAX_TOTAL_BYTES = 2 * 1024 * 1024
COMMAND = "/usr/bin/python3 tools/make_fixtures.py"

torch.set_default_dtype(torch.float64)

CASES = []  # (case name, description, {tensor: torch tensor}, {metadata: str})


def generator(case):
    return torch.Generator().manual_seed(zlib.crc32(case.encode("utf-8")))


def randn(gen, *shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, generator=gen) * scale + shift


def uniform(gen, low, high, *shape):
    return torch.rand(*shape, generator=gen) * (high - low) + low


def add_case(case, description, tensors, meta):
    meta = {key: str(value) for key, value in meta.items()}
    CASES.append((case, description, {k: v.detach().clone() for k, v in tensors.items()}, meta))


def op_case(case, description, op, fn, inputs, args=None, gen=None):
    """Runs fn(**inputs) with grad, backpropagates a seeded random grad_output and records everything.

    Tensors: the inputs by name, "output", "grad_output" and "grad_<input>" for each input.
    """
    gen = gen or generator(case)
    leaves = {name: value.detach().clone().requires_grad_(True) for name, value in inputs.items()}
    output = fn(**leaves)
    grad_output = torch.randn(output.shape, generator=gen)
    output.backward(grad_output)
    tensors = dict(inputs)
    tensors["output"] = output
    tensors["grad_output"] = grad_output
    for name, leaf in leaves.items():
        tensors["grad_" + name] = leaf.grad
    add_case(case, description, tensors, dict(op=op, **(args or {})))


# ----------------------------------------------------------------------------------------------- linear, conv
def linear_cases():
    for case, shape in (("linear", (4, 5)), ("linear_3d", (2, 3, 5))):
        gen = generator(case)
        inputs = dict(input=randn(gen, *shape), weight=randn(gen, 3, 5, scale=0.5), bias=randn(gen, 3))
        op_case(case, f"F.linear, input {shape}, weight (3, 5), bias (3)", "torch.nn.functional.linear",
                F.linear, inputs, gen=gen)


def conv_cases():
    conv = [  # case, input shape, weight shape, bias, stride, padding, dilation
        ("conv1d_k3_s2_p1", (2, 3, 11), (4, 3, 3), True, 2, 1, 1),
        ("conv1d_dilation2", (2, 3, 10), (4, 3, 3), True, 1, 2, 2),
        ("conv1d_nobias", (2, 3, 9), (4, 3, 3), False, 1, 1, 1),
    ]
    for case, xs, ws, has_bias, stride, padding, dilation in conv:
        gen = generator(case)
        inputs = dict(input=randn(gen, *xs), weight=randn(gen, *ws, scale=0.5))
        if has_bias:
            inputs["bias"] = randn(gen, ws[0])
        args = dict(stride=stride, padding=padding, dilation=dilation, groups=1, bias=has_bias)
        op_case(case, f"F.conv1d, input {xs}, weight {ws}, stride {stride}, padding {padding}, "
                f"dilation {dilation}, bias {has_bias}", "torch.nn.functional.conv1d",
                lambda input, weight, bias=None, s=stride, p=padding, d=dilation: F.conv1d(
                    input, weight, bias, stride=s, padding=p, dilation=d), inputs, args, gen)

    transposed = [  # case, input shape, weight shape (C_in, C_out, K), stride, padding, output_padding, dilation
        ("conv_transpose1d_k3_s2_p1_op1", (2, 3, 7), (3, 4, 3), 2, 1, 1, 1),
        ("conv_transpose1d_k1_s2_op1", (2, 3, 6), (3, 4, 1), 2, 0, 1, 1),
        ("conv_transpose1d_dilation2", (2, 3, 6), (3, 4, 3), 1, 1, 0, 2),
    ]
    for case, xs, ws, stride, padding, out_pad, dilation in transposed:
        gen = generator(case)
        inputs = dict(input=randn(gen, *xs), weight=randn(gen, *ws, scale=0.5), bias=randn(gen, ws[1]))
        args = dict(stride=stride, padding=padding, output_padding=out_pad, dilation=dilation, groups=1,
                    bias=True)
        op_case(case, f"F.conv_transpose1d, input {xs}, weight {ws}, stride {stride}, padding {padding}, "
                f"output_padding {out_pad}, dilation {dilation}", "torch.nn.functional.conv_transpose1d",
                lambda input, weight, bias, s=stride, p=padding, o=out_pad, d=dilation: F.conv_transpose1d(
                    input, weight, bias, stride=s, padding=p, output_padding=o, dilation=d), inputs, args, gen)


# ----------------------------------------------------------------------------------------------- batchnorm
def batchnorm_cases():
    momentum, eps = 0.1, 1e-5
    for case, shape, training in (("batchnorm1d_train_3d", (4, 3, 5), True),
                                  ("batchnorm1d_train_2d", (6, 3), True),
                                  ("batchnorm1d_eval_3d", (4, 3, 5), False)):
        gen = generator(case)
        channel_shift = randn(gen, 3, scale=2.0).view(1, 3, *([1] * (len(shape) - 2)))
        x = randn(gen, *shape, scale=1.5) + channel_shift
        weight, bias = uniform(gen, 0.5, 1.5, 3), randn(gen, 3, scale=0.3)
        running_mean, running_var = randn(gen, 3, scale=0.5), uniform(gen, 0.5, 2.0, 3)
        rm_after, rv_after = running_mean.clone(), running_var.clone()  # updated in place by training mode
        leaves = [t.clone().requires_grad_(True) for t in (x, weight, bias)]
        out = F.batch_norm(leaves[0], rm_after, rv_after, leaves[1], leaves[2], training=training,
                           momentum=momentum, eps=eps)
        grad_output = torch.randn(out.shape, generator=gen)
        out.backward(grad_output)
        tensors = dict(input=x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var,
                       running_mean_after=rm_after, running_var_after=rv_after, output=out,
                       grad_output=grad_output, grad_input=leaves[0].grad, grad_weight=leaves[1].grad,
                       grad_bias=leaves[2].grad)
        if training:  # batch statistics: biased variance normalises, unbiased variance feeds running_var
            dims = [0] + list(range(2, len(shape)))
            tensors["batch_mean"] = x.mean(dim=dims)
            tensors["batch_var_biased"] = x.var(dim=dims, unbiased=False)
        mode = "training (batch stats; running stats updated with unbiased var)" if training else \
            "eval (running stats)"
        add_case(case, f"F.batch_norm {mode}, input {shape}, affine", tensors,
                 dict(op="torch.nn.functional.batch_norm", training=training, momentum=momentum, eps=eps))


# ----------------------------------------------------------------------------------------------- elementwise
def unary_cases():
    def values(gen, kind):
        if kind == "positive":  # log, sqrt: keep away from 0
            return uniform(gen, 0.2, 4.0, 3, 8)
        if kind == "softplus":  # include |x| well beyond the threshold (linear branch, exp underflow side)
            extra = torch.tensor([25.0, 21.0, 20.5, -25.0, -40.0, 19.5, 0.0, -0.5])
            return torch.cat([randn(gen, 2, 8, scale=3.0), extra.view(1, 8)])
        x = randn(gen, 3, 8, scale=2.0)
        return torch.where(x.abs() < 1e-3, x + 0.01, x)  # no exact kinks at 0 (relu, abs, elu)

    cases = [  # case, op name, fn, input kind, metadata
        ("gelu", "torch.nn.functional.gelu", lambda input: F.gelu(input), "normal", dict(approximate="none")),
        ("gelu_tanh", "torch.nn.functional.gelu", lambda input: F.gelu(input, approximate="tanh"), "normal",
         dict(approximate="tanh")),
        ("relu", "torch.relu", torch.relu, "normal", {}),
        ("elu", "torch.nn.functional.elu", lambda input: F.elu(input, alpha=1.0), "normal", dict(alpha=1.0)),
        ("elu_alpha0p5", "torch.nn.functional.elu", lambda input: F.elu(input, alpha=0.5), "normal",
         dict(alpha=0.5)),
        ("selu", "torch.nn.functional.selu", F.selu, "normal",
         dict(alpha="1.6732632423543772848170429916717", scale="1.0507009873554804934193349852946")),
        ("sigmoid", "torch.sigmoid", torch.sigmoid, "normal", {}),
        ("tanh", "torch.tanh", torch.tanh, "normal", {}),
        ("softplus", "torch.nn.functional.softplus", lambda input: F.softplus(input, beta=1.0, threshold=20.0),
         "softplus", dict(beta=1.0, threshold=20.0)),
        ("softplus_beta2_threshold3", "torch.nn.functional.softplus",
         lambda input: F.softplus(input, beta=2.0, threshold=3.0), "softplus", dict(beta=2.0, threshold=3.0)),
        ("exp", "torch.exp", torch.exp, "normal", {}),
        ("log", "torch.log", torch.log, "positive", {}),
        ("sqrt", "torch.sqrt", torch.sqrt, "positive", {}),
        ("abs", "torch.abs", torch.abs, "normal", {}),
        ("clamp", "torch.clamp", lambda input: torch.clamp(input, min=-0.5, max=0.8), "normal",
         dict(min=-0.5, max=0.8)),
    ]
    for case, op, fn, kind, args in cases:
        gen = generator(case)
        x = values(gen, kind)
        op_case(case, f"{op} on input {tuple(x.shape)}", op, fn, dict(input=x), args, gen)


def binary_cases():
    cases = [  # case, op, fn, input shape, other shape
        ("add_broadcast", "torch.add", torch.add, (2, 3, 4), (3, 1)),
        ("add_broadcast_both", "torch.add", torch.add, (2, 1, 4), (3, 1)),
        ("mul_broadcast", "torch.mul", torch.mul, (2, 1, 4), (3, 1)),
        ("mul_scalar_shape", "torch.mul", torch.mul, (2, 3), (1,)),
        ("div_broadcast", "torch.div", torch.div, (2, 3, 4), (4,)),
        ("div_broadcast_both", "torch.div", torch.div, (3, 1), (2, 1, 4)),
    ]
    for case, op, fn, xs, os_ in cases:
        gen = generator(case)
        x = randn(gen, *xs)
        other = randn(gen, *os_)
        if op == "torch.div":  # keep the divisor away from 0: |other| in [0.5, 2]
            other = torch.sign(other) * uniform(gen, 0.5, 2.0, *os_)
        op_case(case, f"{op} broadcasting input {xs} with other {os_}", op,
                lambda input, other, f=fn: f(input, other), dict(input=x, other=other), gen=gen)


# ----------------------------------------------------------------------------------------------- reductions
def reduction_cases():
    cases = [  # case, op, fn, dims, keepdim
        ("sum_dim1", "torch.sum", torch.sum, (1,), False),
        ("sum_dims02_keepdim", "torch.sum", torch.sum, (0, 2), True),
        ("sum_all", "torch.sum", torch.sum, None, False),
        ("mean_dim2", "torch.mean", torch.mean, (2,), False),
        ("mean_dims01_keepdim", "torch.mean", torch.mean, (0, 1), True),
        ("mean_all", "torch.mean", torch.mean, None, False),
    ]
    for case, op, fn, dims, keepdim in cases:
        gen = generator(case)
        x = randn(gen, 2, 3, 4)
        if dims is None:
            call = lambda input, f=fn: f(input)  # noqa: E731
        else:
            call = lambda input, f=fn, d=dims, k=keepdim: f(input, dim=d, keepdim=k)  # noqa: E731
        args = dict(dim="all" if dims is None else ",".join(map(str, dims)), keepdim=keepdim)
        op_case(case, f"{op} over dims {args['dim']} keepdim {keepdim} of input (2, 3, 4)", op, call,
                dict(input=x), args, gen)

    for case, dim, keepdim in (("max_dim1", 1, False), ("max_dim2_keepdim", 2, True)):
        gen = generator(case)
        x = torch.randperm(24, generator=gen).to(torch.float64).view(2, 3, 4) * 0.25 - 3.0  # distinct: no ties
        leaf = x.clone().requires_grad_(True)
        values, indices = torch.max(leaf, dim=dim, keepdim=keepdim)
        grad_output = torch.randn(values.shape, generator=gen)
        values.backward(grad_output)
        add_case(case, f"torch.max over dim {dim} keepdim {keepdim} of input (2, 3, 4) (distinct values); "
                 "indices stored as float64", dict(input=x, output=values, indices=indices.to(torch.float64),
                                                    grad_output=grad_output, grad_input=leaf.grad),
                 dict(op="torch.max", dim=dim, keepdim=keepdim))


def concat_cases():
    for case, dim, shapes in (("concat_dim1", 1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
                              ("concat_dim2", 2, [(2, 3, 1), (2, 3, 4)])):
        gen = generator(case)
        inputs = {f"input{i}": randn(gen, *s) for i, s in enumerate(shapes)}
        op_case(case, f"torch.cat along dim {dim} of {shapes}", "torch.cat",
                lambda d=dim, **xs: torch.cat([xs[f"input{i}"] for i in range(len(xs))], dim=d), inputs,
                dict(dim=dim, count=len(shapes)), gen)


# ----------------------------------------------------------------------------------------------- losses
def loss_cases():
    for name, fn in (("mse", F.mse_loss), ("l1", F.l1_loss)):
        for reduction in ("mean", "sum"):
            case = f"{name}_{reduction}"
            gen = generator(case)
            inputs = dict(input=randn(gen, 3, 5), target=randn(gen, 3, 5))
            op_case(case, f"F.{fn.__name__} reduction {reduction}, input/target (3, 5); scalar grad_output",
                    f"torch.nn.functional.{fn.__name__}",
                    lambda input, target, f=fn, r=reduction: f(input, target, reduction=r), inputs,
                    dict(reduction=reduction), gen)

    cases = [  # case, full, eps, var shape, reduction
        ("gaussian_nll", False, 1e-6, (3, 5), "mean"),
        ("gaussian_nll_full", True, 1e-6, (3, 5), "mean"),
        ("gaussian_nll_var_lastdim1", False, 1e-6, (3, 1), "mean"),
        ("gaussian_nll_eps_clamped_sum", True, 0.1, (3, 5), "sum"),
    ]
    for case, full, eps, var_shape, reduction in cases:
        gen = generator(case)
        var = uniform(gen, 0.2, 2.0, *var_shape)
        if eps > 1e-3:  # some variances below eps: the clamp is applied under no_grad, so grads pass through
            var.view(-1)[::3] = uniform(gen, 0.01, 0.09, var.view(-1)[::3].numel())
        inputs = dict(input=randn(gen, 3, 5), target=randn(gen, 3, 5), var=var)
        op_case(case, f"F.gaussian_nll_loss full {full} eps {eps} var {var_shape} reduction {reduction}; "
                "scalar grad_output", "torch.nn.functional.gaussian_nll_loss",
                lambda input, target, var, fu=full, e=eps, r=reduction: F.gaussian_nll_loss(
                    input, target, var, full=fu, eps=e, reduction=r), inputs,
                dict(full=full, eps=eps, reduction=reduction), gen)


# ----------------------------------------------------------------------------------------------- optimizers
OPT_LOSS = "sum(0.5 * curvature * (p - target)^2 + 0.025 * p^4)"


def optimizer_cases(steps=5):
    cases = [  # case, optimizer class, hyper-parameters
        ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=True,
                                               weight_decay=0.0)),
        ("adam", torch.optim.Adam, dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)),
        ("adam_amsgrad", torch.optim.Adam, dict(lr=0.3, betas=(0.9, 0.9), eps=1e-8, weight_decay=0.0,
                                                 amsgrad=True)),
        ("adamw", torch.optim.AdamW, dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05,
                                          amsgrad=False)),
    ]
    for case, cls, hyper in cases:
        gen = generator(case)
        curvature = uniform(gen, 0.5, 3.0, 2, 3)
        target = randn(gen, 2, 3)
        param = randn(gen, 2, 3, scale=1.5).requires_grad_(True)
        opt = cls([param], **hyper)
        tensors = dict(curvature=curvature, target=target, param_step_0=param.detach().clone())
        for k in range(steps):
            opt.zero_grad()
            loss = torch.sum(0.5 * curvature * (param - target) ** 2 + 0.025 * param ** 4)
            loss.backward()
            tensors[f"grad_step_{k}"] = param.grad.detach().clone()
            tensors[f"loss_step_{k}"] = loss.detach().clone()
            opt.step()
            tensors[f"param_step_{k + 1}"] = param.detach().clone()
        meta = dict(op=f"torch.optim.{cls.__name__}", loss=OPT_LOSS, steps=steps)
        for key, value in hyper.items():
            meta[key] = ",".join(map(str, value)) if isinstance(value, tuple) else value
        add_case(case, f"{cls.__name__} trajectory, {steps} steps on a (2, 3) parameter; grad_step_k/loss_step_k "
                 "are taken at param_step_k", tensors, meta)


def ema_case(steps=5):
    """AdamW steps with two parameter EMAs (torch.optim.swa_utils.AveragedModel + get_ema_multi_avg_fn): decay 0.75
    and 0.25 take the two sides of torch's lerp formula (weight below / from 0.5)."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    case = "ema"
    gen = generator(case)
    curvature = uniform(gen, 0.5, 3.0, 2, 3)
    target = randn(gen, 2, 3)
    model = torch.nn.Module()
    model.p = torch.nn.Parameter(randn(gen, 2, 3, scale=1.5))
    averages = {d: AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(d)) for d in (0.75, 0.25)}
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    tensors = dict(curvature=curvature, target=target, param_step_0=model.p.detach().clone())
    for k in range(steps):
        opt.zero_grad()
        torch.sum(0.5 * curvature * (model.p - target) ** 2 + 0.025 * model.p ** 4).backward()
        opt.step()
        tensors[f"param_step_{k + 1}"] = model.p.detach().clone()
        for d, avg in averages.items():
            avg.update_parameters(model)
            tensors[f"ema{int(d * 100)}_step_{k + 1}"] = avg.module.p.detach().clone()
    add_case(case, f"AdamW (lr 0.1) trajectory on {OPT_LOSS} with AveragedModel EMAs of decay 0.75 (ema75_step_k) "
             "and 0.25 (ema25_step_k) updated after each step", tensors,
             dict(op="torch.optim.swa_utils.AveragedModel(get_ema_multi_avg_fn)", decays="0.75,0.25", steps=steps,
                  lr=0.1))


PLATEAU_METRICS = [1.00, 0.90, 0.85, 0.85, 0.849, 0.86, 0.87, 0.84, 0.84, 0.84,
                   0.839, 0.60, 0.60, 0.61, 0.62, 0.60, 0.595, 0.60, 0.58, 0.58,
                   0.70, 0.75, 0.76, 0.76, 0.755, 0.77, 0.80, 0.80, 0.50, 0.50]


def plateau_cases():
    cases = [  # case, settings
        ("plateau_min_rel", dict(mode="min", factor=0.5, patience=2, threshold=1e-2, threshold_mode="rel",
                                 cooldown=0, min_lr=0.0, eps=1e-8)),
        ("plateau_min_abs_cooldown_minlr", dict(mode="min", factor=0.1, patience=1, threshold=0.02,
                                                threshold_mode="abs", cooldown=2, min_lr=1e-3, eps=1e-8)),
        ("plateau_max_rel_minlr", dict(mode="max", factor=0.3, patience=3, threshold=0.05,
                                       threshold_mode="rel", cooldown=0, min_lr=0.05, eps=1e-8)),
        ("plateau_max_abs_cooldown", dict(mode="max", factor=0.5, patience=2, threshold=0.01,
                                          threshold_mode="abs", cooldown=2, min_lr=0.0, eps=1e-8)),
        ("plateau_min_rel_factor0p1", dict(mode="min", factor=0.1, patience=5, threshold=1e-4,
                                           threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8)),
    ]
    initial_lr = 1.0
    for case, settings in cases:
        param = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([param], lr=initial_lr)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **settings)
        lrs = []
        for metric in PLATEAU_METRICS:
            sched.step(metric)
            lrs.append(opt.param_groups[0]["lr"])
        add_case(case, f"ReduceLROnPlateau {settings['mode']}/{settings['threshold_mode']}, lr after each of "
                 f"{len(PLATEAU_METRICS)} step(metric) calls", dict(metrics=torch.tensor(PLATEAU_METRICS),
                                                                    lr=torch.tensor(lrs)),
                 dict(op="torch.optim.lr_scheduler.ReduceLROnPlateau", initial_lr=initial_lr, **settings))


# ----------------------------------------------------------------------------------------------- whole network
NET_BINS, NET_BATCH, NET_CHANNELS, NET_HIDDEN, NET_LATENT = 64, 3, (4, 8, 12, 16, 24), (60, 20), 4


def network_case():
    case = "ic_cae_small"
    gen = generator(case)
    torch.manual_seed(zlib.crc32(case.encode("utf-8")))  # default PyTorch init of the layers
    model = ICCAE(NET_BINS, NET_LATENT, NET_CHANNELS, NET_HIDDEN)
    with torch.no_grad():  # non-trivial BN affine and running stats so every state_dict entry matters
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.weight.copy_(uniform(gen, 0.7, 1.3, module.num_features))
                module.bias.copy_(randn(gen, module.num_features, scale=0.1))
                module.running_mean.copy_(randn(gen, module.num_features, scale=0.1))
                module.running_var.copy_(uniform(gen, 0.5, 1.5, module.num_features))
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}

    spectrum = torch.exp(randn(gen, NET_BATCH, 1, NET_BINS, scale=0.5)) * 0.05  # counts/s/keV-like, positive
    label = uniform(gen, 0.0, 1.0, NET_BATCH, NET_LATENT)
    model.train()
    recon, code = model(spectrum)
    loss, mse, regular = cae_loss(recon, spectrum, code, label, weight=0.1)
    loss.backward()
    model.eval()
    with torch.no_grad():
        recon_eval, code_eval = model(spectrum)

    tensors = dict(input=spectrum, label=label, output=recon, latent=code, loss=loss, mse=mse, regular=regular,
                   output_eval=recon_eval, latent_eval=code_eval)
    for key, value in before.items():
        tensors[key] = value.to(torch.float64)  # num_batches_tracked (int64) stored as float64
    for key, value in model.state_dict().items():
        if "running_" in key or "num_batches_tracked" in key:
            tensors["after." + key] = value.to(torch.float64)
    for key, param in model.named_parameters():
        tensors["grad." + key] = param.grad
    meta = dict(op="tools/ic_cae_torch.py ICCAE", n_bins=NET_BINS, batch=NET_BATCH, latent=NET_LATENT,
                channels=",".join(map(str, NET_CHANNELS)), hidden=",".join(map(str, NET_HIDDEN)),
                loss="mse_loss(output, input) + 0.1 * sum(|label - latent|) / batch", loss_weight=0.1,
                bn_momentum=0.1, bn_eps=1e-5, parameters=count_parameters(model),
                encoder_parameters=count_parameters(model.encoder),
                decoder_parameters=count_parameters(model.decoder))
    add_case(case, "IC-search CAE (reference layer pattern, reduced widths) train-mode forward + backward: "
             "state_dict before the step under PyTorch keys, after.<key> running stats after the forward, "
             "grad.<param>; output_eval/latent_eval use the updated running stats", tensors, meta)


# ----------------------------------------------------------------------------------------------- output
def describe(tensors):
    return ", ".join(f"`{name}` {list(t.shape)}" for name, t in sorted(tensors.items()))


def write_readme(sizes):
    lines = [
        "# PyTorch reference fixtures",
        "",
        "Generated by `tools/make_fixtures.py` with PyTorch " + torch.__version__ + " in float64 "
        "(`torch.set_default_dtype(torch.float64)`), seeded per case (crc32 of the case name). Regenerate with",
        "",
        "    " + COMMAND,
        "",
        "from the repository root (Debian python with torch; the files are byte-identical across runs on the same",
        "torch version). Format: safetensors, written by `tools/safetensors_io.py`: 8-byte little-endian header",
        "size, JSON header `{name: {dtype, shape, data_offsets}, \"__metadata__\": {...}}` (padded with spaces to",
        "8 bytes), then raw little-endian data. All tensors are `F64`. Metadata values are strings: `generator`,",
        "`torch`, `case`, `op` (the PyTorch call) and the op arguments. Conventions: `grad_output` is the upstream",
        "gradient fed to backward (a scalar for losses), `grad_<name>` the gradient of input `<name>`.",
        "",
        "Notes: the `torch.max` indices are stored as float64. In `gaussian_nll_eps_clamped_sum` some variances are",
        "below `eps`; PyTorch clamps them in place under `no_grad`, so the gradient passes straight through the",
        "clamp: d loss / d var evaluated at the clamped value, not zero. `ic_cae_small` keeps the reference layer pattern and key names of",
        "`tools/ic_cae_torch.py` but uses widths `channels` / `hidden` from its metadata, because the reference",
        "widths at 64 bins (327,763 parameters) would not fit the 2 MB fixture budget with gradients in float64;",
        "`num_batches_tracked` is stored as float64.",
        "",
        "| file | bytes | contents | tensors |",
        "|---|---|---|---|",
    ]
    for case, description, tensors, _ in CASES:
        if case == "ic_cae_small":
            params = sorted(k for k in tensors if k.startswith(("encoder.", "decoder.")))
            listing = (describe({k: v for k, v in tensors.items() if "." not in k}) +
                       f"; {len(params)} state_dict entries (`encoder.*`, `decoder.*`), matching `grad.*` for "
                       "parameters and `after.*` for BN running stats")
        else:
            listing = describe(tensors)
        lines.append(f"| `{case}.safetensors` | {sizes[case]} | {description} | {listing} |")
    lines += ["", f"Total: {sum(sizes.values())} bytes in {len(CASES)} files.", ""]
    with open(os.path.join(OUT_DIR, "README.md"), "w") as handle:
        handle.write("\n".join(lines))


def main():
    linear_cases()
    conv_cases()
    batchnorm_cases()
    unary_cases()
    binary_cases()
    reduction_cases()
    concat_cases()
    loss_cases()
    optimizer_cases()
    ema_case()
    plateau_cases()
    network_case()

    os.makedirs(OUT_DIR, exist_ok=True)
    names = [case for case, _, _, _ in CASES]
    if len(names) != len(set(names)):
        raise RuntimeError("duplicate case names")
    for stale in os.listdir(OUT_DIR):  # drop files of cases that no longer exist
        if stale.endswith(".safetensors") and stale[:-len(".safetensors")] not in names:
            os.remove(os.path.join(OUT_DIR, stale))
    sizes = {}
    for case, _, tensors, meta in CASES:
        path = os.path.join(OUT_DIR, case + ".safetensors")
        meta = dict(meta, generator="tools/make_fixtures.py", torch=torch.__version__, case=case)
        write_safetensors(path, tensors, meta)
        arrays, meta_back = read_safetensors(path)  # round-trip check of the writer
        for name, tensor in tensors.items():
            if not (arrays[name] == tensor.detach().numpy()).all():
                raise RuntimeError(f"{path}: tensor {name} did not round-trip")
        if meta_back != meta:
            raise RuntimeError(f"{path}: metadata did not round-trip")
        sizes[case] = os.path.getsize(path)
    total = sum(sizes.values())
    if total >= MAX_TOTAL_BYTES:
        raise RuntimeError(f"fixtures total {total} bytes, over the {MAX_TOTAL_BYTES} budget")
    write_readme(sizes)
    print(f"wrote {len(CASES)} fixtures, {total} bytes, to {os.path.relpath(OUT_DIR, ROOT)}")


if __name__ == "__main__":
    main()
