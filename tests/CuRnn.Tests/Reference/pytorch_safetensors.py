"""PyTorch side of CuRnn's weights-file tests (PyTorch's own modules and state_dict; the file format by hand).

Usage: pytorch_safetensors.py DIR
DIR holds spec.json, x.f64 [T, N, I] (raw little-endian float64) and, for direction "to_torch", weights.safetensors
written by CuRnn. A model with attributes `rnn` (nn.RNN / nn.LSTM / nn.GRU) and `head` (nn.Linear) is made.
  from_torch: seeds torch, writes the model's state_dict (names "rnn.weight_ih_l0", ..., "head.weight") to
              weights.safetensors in spec["dtype"] (F32, F16 or BF16) with a writer of its own.
  to_torch:   reads weights.safetensors with a reader of its own and loads it with model.rnn.load_state_dict(strict=True).
Either way the RNN then runs in float64 on the weights as stored (packed with the given lengths) and y [T, N, D*Hout]
(padding 0) and hN (and cN) are written back as .f64.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        name_dtype = {v: k for k, v in DTYPES.items()}[t.dtype]
        header[name] = {"dtype": name_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = bytearray(body[begin:end])
        if e["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def main(folder):
    with open(os.path.join(folder, "spec.json")) as f:
        spec = json.load(f)
    cell, i, h, layers = spec["cell"], spec["input"], spec["hidden"], spec["layers"]
    bi, bias, proj = spec["bidirectional"], spec["bias"], spec["projection"]
    steps, lengths = spec["steps"], spec["lengths"]
    n, d = len(lengths), 2 if bi else 1
    hout = proj if proj > 0 else h
    torch.manual_seed(spec["seed"])

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            common = dict(num_layers=layers, bias=bias, bidirectional=bi)
            if cell == "Lstm":
                self.rnn = torch.nn.LSTM(i, h, proj_size=proj, **common)
            elif cell == "Gru":
                self.rnn = torch.nn.GRU(i, h, **common)
            else:
                self.rnn = torch.nn.RNN(i, h, nonlinearity="relu" if cell == "RnnRelu" else "tanh", **common)
            self.head = torch.nn.Linear(d * hout, 2)

    model = Model()
    path = os.path.join(folder, "weights.safetensors")
    if spec["direction"] == "from_torch":
        stored = {k: v.to(DTYPES[spec["dtype"]]) for k, v in model.state_dict().items()}
        write_safetensors(path, stored, {"format": "pt"})
        model.load_state_dict({k: v.to(torch.float32) for k, v in stored.items()})
    else:
        tensors = read_safetensors(path)
        own = {k[len("rnn."):]: v.to(torch.float32) for k, v in tensors.items() if k.startswith("rnn.")}
        model.rnn.load_state_dict(own, strict=True)
    model = model.double()

    x = torch.from_numpy(np.fromfile(os.path.join(folder, "x.f64"), dtype="<f8").reshape(steps, n, i).copy())
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    with torch.no_grad():
        out, state = model.rnn(packed)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=steps)

    def write(name, tensor):
        tensor.detach().contiguous().numpy().astype("<f8").tofile(os.path.join(folder, name + ".f64"))

    write("y", y)
    if cell == "Lstm":
        write("hN", state[0])
        write("cN", state[1])
    else:
        write("hN", state)


if __name__ == "__main__":
    main(sys.argv[1])
