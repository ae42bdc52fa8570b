#!/usr/bin/env python3
"""Write the PyTorch-import fixtures used by tests/test_nn_import.cpp (run with /usr/bin/python3, torch 1.13).

Each model is built with a fixed seed, its state_dict saved with torch.save and converted by
tools/convert_torch_checkpoint.py (the documented import path); the input and torch's eval-mode output go
to a second file. Files: tests/fixtures/torch_import_<name>.safetensors and torch_import_<name>_io.safetensors.
"""
import os
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert_torch_checkpoint as conv  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "fixtures")


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GELU(), torch.nn.Linear(8, 3)), torch.randn(4, 5)


def convnet():
    # Conv -> BN -> ReLU -> ConvTranspose -> Flatten -> Linear, with BN statistics from two training batches.
    m = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                            torch.nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), torch.nn.Flatten(),
                            torch.nn.Linear(3 * 12, 2))
    m.train()
    with torch.no_grad():
        for _ in range(2):
            m(torch.randn(8, 2, 6))
    return m, torch.randn(3, 2, 6)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in (("mlp", mlp), ("convnet", convnet)):
        torch.manual_seed(1234)
        model, x = make()
        model.eval()
        with torch.no_grad():
            y = model(x)
        with tempfile.TemporaryDirectory() as tmp:
            pt = os.path.join(tmp, name + ".pt")
            torch.save(model.state_dict(), pt)
            conv.main([pt, os.path.join(OUT, "torch_import_%s.safetensors" % name)])
        conv.write_safetensors(os.path.join(OUT, "torch_import_%s_io.safetensors" % name),
                               [("input", x.contiguous()), ("output", y.contiguous())],
                               {"generator": "tools/make_import_fixture.py"})


if __name__ == "__main__":
    main()
