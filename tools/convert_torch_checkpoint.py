#!/usr/bin/env python3
"""Convert a PyTorch state_dict (.pt / .pth) to a specnet safetensors file.

Matches torch.save / torch.load conventions: accepts a bare state_dict or a dict holding one under
"state_dict", "model_state_dict" or "model". Floating tensors are written as F32 (or F64 with --dtype f64,
or --keep-f64 for tensors that already are float64); integer buffers such as BatchNorm's
num_batches_tracked become floats holding the count, as specnet stores them. Needs only torch (no
safetensors package): the file is written with struct + json in the reference layout.

  /usr/bin/python3 tools/convert_torch_checkpoint.py model.pt model.safetensors [--strip-prefix module.]
"""
import argparse
import json
import os
import struct
import sys

import torch

NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def find_state_dict(obj):
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in NESTED_KEYS:
            if key in obj and isinstance(obj[key], dict):
                return obj[key]
        if all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    raise SystemExit("error: no state_dict found (expected a dict of tensors or one under %s)" % (NESTED_KEYS,))


def convert_tensor(name, t, dtype, keep_f64):
    if not isinstance(t, torch.Tensor):
        raise SystemExit("error: entry %r is a %s, not a tensor" % (name, type(t).__name__))
    if t.is_complex():
        raise SystemExit("error: tensor %r is complex; specnet stores real float32/float64 only" % name)
    target = torch.float64 if (dtype == "f64" or (keep_f64 and t.dtype == torch.float64)) else torch.float32
    if not t.is_floating_point() and t.numel() and t.abs().max().item() > 2 ** 24 and target == torch.float32:
        print("warning: integer tensor %r exceeds 2^24 and loses precision in float32" % name, file=sys.stderr)
    return t.detach().to("cpu", target).contiguous()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors:
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": "F64" if t.dtype == torch.float64 else "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # 8-byte aligned data section, as the reference writer pads
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="torch checkpoint (.pt/.pth)")
    ap.add_argument("output", help="safetensors file to write")
    ap.add_argument("--dtype", choices=["f32", "f64"], default="f32", help="storage type for all tensors")
    ap.add_argument("--keep-f64", action="store_true", help="keep float64 tensors as F64 when --dtype f32")
    ap.add_argument("--strip-prefix", default="", help="remove this prefix from keys (e.g. 'module.')")
    ap.add_argument("--add-prefix", default="", help="prepend this to every key (e.g. 'model.')")
    args = ap.parse_args(argv)

    obj = torch.load(args.input, map_location="cpu")
    sd = find_state_dict(obj)
    tensors, seen = [], set()
    for name, t in sd.items():
        if args.strip_prefix and name.startswith(args.strip_prefix):
            name = name[len(args.strip_prefix):]
        name = args.add_prefix + name
        if not name or name == "__metadata__" or name in seen:
            raise SystemExit("error: invalid or duplicate key %r after renaming" % name)
        seen.add(name)
        tensors.append((name, convert_tensor(name, t, args.dtype, args.keep_f64)))
    meta = {"source": os.path.basename(args.input), "converter": "specnet tools/convert_torch_checkpoint.py",
            "torch_version": torch.__version__}
    write_safetensors(args.output, tensors, meta)
    print("wrote %d tensors to %s" % (len(tensors), args.output))


if __name__ == "__main__":
    main()
