"""Minimal safetensors writer/reader (struct + json, no safetensors package) for the PyTorch parity fixtures.
Layout as in the safetensors spec: u64 LE header size, JSON header, raw little-endian tensor bytes.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4")}
_NUMPY = {"F64": "<f8", "F32": "<f4"}


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (float64/float32) in sorted name order; metadata values must be strings."""
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise TypeError(f"metadata {key!r} must be a string, got {type(value).__name__}")
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        if tensor.dtype not in _DTYPES:
            raise TypeError(f"tensor {name!r}: unsupported dtype {tensor.dtype}")
        tag, np_dtype = _DTYPES[tensor.dtype]
        blob = tensor.numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": tag, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad with spaces so the data starts 8-byte aligned (allowed by the spec)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for blob in blobs:
            handle.write(blob)


def read_safetensors(path):
    """Returns ({name: float64 numpy array}, metadata); used to self-check what write_safetensors produced."""
    with open(path, "rb") as handle:
        raw = handle.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + size:]
    arrays = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=_NUMPY[info["dtype"]])
        arrays[name] = array.reshape(info["shape"]).astype(np.float64)
    return arrays, metadata
