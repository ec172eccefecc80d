"""PyTorch reference for CuRnn's tests: runs nn.RNN / nn.LSTM (proj_size too) / nn.GRU in float64 (or, with
"dtype": "float32" in spec.json, in float32: how close PyTorch itself comes on the same data).

Usage: pytorch_rnn_reference.py DIR
DIR holds spec.json and raw little-endian float64 files (<name>.f64): every parameter by its PyTorch name,
and x [T, N, I], h0 [L*D, N, Hout], c0, wy [T, N, D*Hout], whN, wcN. Lengths are all > 0. The loss is
sum(y*wy) + sum(hN*whN) + sum(cN*wcN); the script writes y, hN, cN, dx, dh0, dc0 and grad_<name> back as .f64.
"""
import json
import os
import sys

import numpy as np
import torch


def main(folder):
    with open(os.path.join(folder, "spec.json")) as f:
        spec = json.load(f)

    dtype = torch.float32 if spec.get("dtype") == "float32" else torch.float64

    def read(name, shape):
        return torch.from_numpy(np.fromfile(os.path.join(folder, name + ".f64"), dtype="<f8").reshape(shape).copy()).to(dtype)

    def write(name, tensor):
        tensor.detach().double().contiguous().numpy().astype("<f8").tofile(os.path.join(folder, name + ".f64"))

    cell, i, h, layers = spec["cell"], spec["input"], spec["hidden"], spec["layers"]
    bi, bias, proj = spec["bidirectional"], spec["bias"], spec["projection"]
    steps, lengths = spec["steps"], spec["lengths"]
    n, d = len(lengths), 2 if bi else 1
    hout = proj if proj > 0 else h
    if cell == "Lstm":
        module = torch.nn.LSTM(i, h, layers, bias=bias, bidirectional=bi, proj_size=proj)
    elif cell == "Gru":
        module = torch.nn.GRU(i, h, layers, bias=bias, bidirectional=bi)
    else:
        module = torch.nn.RNN(i, h, layers, nonlinearity="relu" if cell == "RnnRelu" else "tanh", bias=bias, bidirectional=bi)
    module = module.to(dtype)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(read(name, tuple(p.shape)))

    x = read("x", (steps, n, i)).requires_grad_()
    h0 = read("h0", (layers * d, n, hout)).requires_grad_()
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    if cell == "Lstm":
        c0 = read("c0", (layers * d, n, h)).requires_grad_()
        out, (hn, cn) = module(packed, (h0, c0))
    else:
        out, hn = module(packed, h0)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=steps)
    loss = (y * read("wy", (steps, n, d * hout))).sum() + (hn * read("whN", (layers * d, n, hout))).sum()
    if cell == "Lstm":
        loss = loss + (cn * read("wcN", (layers * d, n, h))).sum()
    loss.backward()

    write("y", y)
    write("hN", hn)
    write("dx", x.grad)
    write("dh0", h0.grad)
    if cell == "Lstm":
        write("cN", cn)
        write("dc0", c0.grad)
    for name, p in module.named_parameters():
        write("grad_" + name, p.grad)


if __name__ == "__main__":
    main(sys.argv[1])
